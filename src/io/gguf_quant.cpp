// ggml type table and block dequantization (formats in gguf_quant.h). Plain loops: dequantizing
// happens once at load, and a 135M-parameter model takes well under a second.
#include "io/gguf_quant.h"

#include <cstring>

#include "base/error.h"
#include "tensor/dtype.h"  // f16_to_f32, bf16_to_f32

namespace t2::io {

namespace {

constexpr GgmlTypeInfo kTypes[] = {
    {GgmlType::f32, "F32", 1, 4, true},         {GgmlType::f16, "F16", 1, 2, true},
    {GgmlType::q4_0, "Q4_0", 32, 18, true},     {GgmlType::q4_1, "Q4_1", 32, 20, true},
    {GgmlType::q5_0, "Q5_0", 32, 22, true},     {GgmlType::q5_1, "Q5_1", 32, 24, true},
    {GgmlType::q8_0, "Q8_0", 32, 34, true},     {GgmlType::q8_1, "Q8_1", 32, 40, false},
    {GgmlType::q2_k, "Q2_K", 256, 84, false},   {GgmlType::q3_k, "Q3_K", 256, 110, false},
    {GgmlType::q4_k, "Q4_K", 256, 144, true},   {GgmlType::q5_k, "Q5_K", 256, 176, true},
    {GgmlType::q6_k, "Q6_K", 256, 210, true},   {GgmlType::q8_k, "Q8_K", 256, 292, false},
    {GgmlType::iq2_xxs, "IQ2_XXS", 256, 66, false}, {GgmlType::iq2_xs, "IQ2_XS", 256, 74, false},
    {GgmlType::iq3_xxs, "IQ3_XXS", 256, 98, false}, {GgmlType::iq1_s, "IQ1_S", 256, 50, false},
    {GgmlType::iq4_nl, "IQ4_NL", 32, 18, false},    {GgmlType::iq3_s, "IQ3_S", 256, 110, false},
    {GgmlType::iq2_s, "IQ2_S", 256, 82, false},     {GgmlType::iq4_xs, "IQ4_XS", 256, 136, false},
    {GgmlType::i8, "I8", 1, 1, false},          {GgmlType::i16, "I16", 1, 2, false},
    {GgmlType::i32, "I32", 1, 4, false},        {GgmlType::i64, "I64", 1, 8, false},
    {GgmlType::f64, "F64", 1, 8, false},        {GgmlType::iq1_m, "IQ1_M", 256, 56, false},
    {GgmlType::bf16, "BF16", 1, 2, true},       {GgmlType::tq1_0, "TQ1_0", 256, 54, false},
    {GgmlType::tq2_0, "TQ2_0", 256, 66, false}, {GgmlType::mxfp4, "MXFP4", 32, 17, false},
    {static_cast<GgmlType>(40), "NVFP4", 64, 36, false},
    {static_cast<GgmlType>(41), "Q1_0", 128, 18, false},
};

uint16_t u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
float half(const uint8_t* p) { return tensor::f16_to_f32(u16(p)); }

// 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes of a Q4_K / Q5_K block:
// bytes 0–3 hold scales 0–3 (low 6 bits), bytes 4–7 mins 0–3; sub-blocks 4–7 take their low 4
// bits from bytes 8–11 and their high 2 bits from the top bits of bytes 0–7.
void k_scale_min(const uint8_t* s, int j, int* scale, int* min) {
  if (j < 4) {
    *scale = s[j] & 63;
    *min = s[j + 4] & 63;
  } else {
    *scale = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
    *min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

void dequant_q4_0(const uint8_t* b, float* y) {
  const float d = half(b);
  const uint8_t* q = b + 2;
  for (int i = 0; i < 16; ++i) {
    y[i] = static_cast<float>((q[i] & 0x0F) - 8) * d;
    y[i + 16] = static_cast<float>((q[i] >> 4) - 8) * d;
  }
}

void dequant_q4_1(const uint8_t* b, float* y) {
  const float d = half(b), m = half(b + 2);
  const uint8_t* q = b + 4;
  for (int i = 0; i < 16; ++i) {
    y[i] = static_cast<float>(q[i] & 0x0F) * d + m;
    y[i + 16] = static_cast<float>(q[i] >> 4) * d + m;
  }
}

// Q5_0 (with_min false) and Q5_1: the fifth bit of weight i is bit i of the 32-bit qh.
void dequant_q5(const uint8_t* b, float* y, bool with_min) {
  const float d = half(b), m = with_min ? half(b + 2) : 0.0f;
  const uint8_t* h = b + (with_min ? 4 : 2);
  const uint32_t qh = static_cast<uint32_t>(h[0]) | (static_cast<uint32_t>(h[1]) << 8) |
                      (static_cast<uint32_t>(h[2]) << 16) | (static_cast<uint32_t>(h[3]) << 24);
  const uint8_t* q = h + 4;
  const int offset = with_min ? 0 : 16;
  for (int i = 0; i < 16; ++i) {
    const int lo = (q[i] & 0x0F) | static_cast<int>(((qh >> i) & 1u) << 4);
    const int hi = (q[i] >> 4) | static_cast<int>(((qh >> (i + 16)) & 1u) << 4);
    y[i] = static_cast<float>(lo - offset) * d + m;
    y[i + 16] = static_cast<float>(hi - offset) * d + m;
  }
}

void dequant_q8_0(const uint8_t* b, float* y) {
  const float d = half(b);
  const auto* q = reinterpret_cast<const int8_t*>(b + 2);
  for (int i = 0; i < 32; ++i) y[i] = static_cast<float>(q[i]) * d;
}

// Q4_K (qh == nullptr) and Q5_K.
void dequant_q45_k(const uint8_t* b, float* y, bool five_bits) {
  const float d = half(b), dmin = half(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = five_bits ? b + 16 : nullptr;
  const uint8_t* q = b + (five_bits ? 48 : 16);
  for (int pair = 0; pair < 4; ++pair) {  // 64 weights: sub-blocks 2·pair and 2·pair + 1
    int sc0, mn0, sc1, mn1;
    k_scale_min(scales, 2 * pair, &sc0, &mn0);
    k_scale_min(scales, 2 * pair + 1, &sc1, &mn1);
    const float d0 = d * static_cast<float>(sc0), m0 = dmin * static_cast<float>(mn0);
    const float d1 = d * static_cast<float>(sc1), m1 = dmin * static_cast<float>(mn1);
    for (int l = 0; l < 32; ++l) {
      int lo = q[l] & 0x0F, hi = q[l] >> 4;
      if (qh) {
        lo |= ((qh[l] >> (2 * pair)) & 1) << 4;
        hi |= ((qh[l] >> (2 * pair + 1)) & 1) << 4;
      }
      y[l] = d0 * static_cast<float>(lo) - m0;
      y[l + 32] = d1 * static_cast<float>(hi) - m1;
    }
    y += 64;
    q += 32;
  }
}

void dequant_q6_k(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
  const float d = half(b + 208);
  for (int half_block = 0; half_block < 2; ++half_block) {  // 128 weights each
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
      y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
    y += 128;
    ql += 64;
    qh += 32;
    sc += 8;
  }
}

}  // namespace

std::optional<GgmlTypeInfo> ggml_type_info(uint32_t id) {
  for (const auto& t : kTypes)
    if (static_cast<uint32_t>(t.type) == id) return t;
  return std::nullopt;
}

const GgmlTypeInfo& ggml_type_info(GgmlType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t;
  T2_FAIL("ggml type id %u is not a known type", static_cast<unsigned>(type));
}

std::string ggml_dequantizable_types() {
  std::string out;
  for (const auto& t : kTypes)
    if (t.can_dequantize) out += (out.empty() ? "" : ", ") + std::string(t.name);
  return out;
}

void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n) {
  const GgmlTypeInfo& info = ggml_type_info(type);
  T2_CHECK(info.can_dequantize, "tensor type %s cannot be converted by t2 (supported: %s)",
           info.name, ggml_dequantizable_types().c_str());
  T2_CHECK(n % info.block_size == 0, "%s: %lld elements is not a whole number of %lld-element "
           "blocks", info.name, static_cast<long long>(n),
           static_cast<long long>(info.block_size));
  const auto* b = static_cast<const uint8_t*>(src);
  const int64_t n_blocks = n / info.block_size;
  switch (type) {
    case GgmlType::f32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::f16:
      return tensor::convert_to_f32(src, tensor::DType::f16, dst, static_cast<size_t>(n));
    case GgmlType::bf16:
      return tensor::convert_to_f32(src, tensor::DType::bf16, dst, static_cast<size_t>(n));
    default:
      break;
  }
  for (int64_t i = 0; i < n_blocks; ++i, b += info.type_size, dst += info.block_size) {
    switch (type) {
      case GgmlType::q4_0: dequant_q4_0(b, dst); break;
      case GgmlType::q4_1: dequant_q4_1(b, dst); break;
      case GgmlType::q5_0: dequant_q5(b, dst, false); break;
      case GgmlType::q5_1: dequant_q5(b, dst, true); break;
      case GgmlType::q8_0: dequant_q8_0(b, dst); break;
      case GgmlType::q4_k: dequant_q45_k(b, dst, false); break;
      case GgmlType::q5_k: dequant_q45_k(b, dst, true); break;
      case GgmlType::q6_k: dequant_q6_k(b, dst); break;
      default: T2_FAIL("unreachable: %s", info.name);
    }
  }
}

}  // namespace t2::io
