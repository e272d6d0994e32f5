// The tensor element types of GGUF files (ggml's type ids) and the block formats t2 can turn into
// f32: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and the K-quants Q4_K, Q5_K, Q6_K. Sizes of the
// other ggml types are known too, so a reader can validate a file holding them; dequantizing one
// of those is an error naming the type. Nothing here knows files or tensors by name (io/gguf.h).
//
// Block layouts (little-endian; d, m, dmin are IEEE binary16 scales):
//   Q4_0  32 weights, 18 B: d, 16 B of nibbles        x[i] = (q − 8)·d, q[i] low nibble of byte i,
//                                                     q[i+16] high nibble of byte i
//   Q4_1  32 weights, 20 B: d, m, 16 B of nibbles     x = q·d + m
//   Q5_0  32 weights, 22 B: d, 4 B high bits, 16 B    x = (q | hi<<4 − 16)·d, hi of i is bit i
//   Q5_1  32 weights, 24 B: d, m, 4 B high bits, 16 B x = (q | hi<<4)·d + m
//   Q8_0  32 weights, 34 B: d, 32 int8                x = q·d
//   Q4_K 256 weights, 144 B: d, dmin, 12 B of 6-bit (scale, min) pairs for 8 sub-blocks of 32,
//        128 B of nibbles (per 64 weights: 32 bytes, low nibbles first sub-block, high the second)
//        x = d·sc·q − dmin·mn
//   Q5_K 256 weights, 176 B: as Q4_K plus 32 B of fifth bits (bit 2j / 2j+1 of byte l for the
//        sub-block pair j)
//   Q6_K 256 weights, 210 B: 128 B low nibbles, 64 B high 2-bit pairs, 16 int8 scales (one per 16
//        weights), d;  x = d·sc·(q − 32)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace t2::io {

// ggml_type ids as stored in a GGUF tensor info. Ids 4, 5 and 31–33, 36–38 were removed from
// ggml and are not valid in a file.
enum class GgmlType : uint32_t {
  f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
  q2_k = 10, q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, q8_k = 15,
  iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22,
  iq4_xs = 23, i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30,
  tq1_0 = 34, tq2_0 = 35, mxfp4 = 39,
};

// Elements per block and bytes per block of a type (1 and the element size for plain types).
struct GgmlTypeInfo {
  GgmlType type;
  const char* name;  // "Q4_K", as ggml and the gguf tools spell it
  int64_t block_size;
  int64_t type_size;
  bool can_dequantize;  // t2 can turn it into f32
};

// The info of a raw type id, or nothing for an id that is not a ggml type.
std::optional<GgmlTypeInfo> ggml_type_info(uint32_t id);
const GgmlTypeInfo& ggml_type_info(GgmlType type);
// "F32, F16, BF16, Q8_0, ..." — the types dequantize_row accepts, for messages.
std::string ggml_dequantizable_types();

// Converts n elements (a multiple of the type's block size) starting at src to f32.
// Throws t2::Error for a type that cannot be dequantized. Pure function; thread-safe.
void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n);

}  // namespace t2::io
