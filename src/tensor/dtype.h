// Element types of weight and activation buffers, and exact conversions between them. Activations
// are always f32; bf16 and f16 appear only in stored weights (safetensors) and in kernel internals.
// Nothing here allocates; conversions work on caller-owned buffers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace t2::tensor {

enum class DType : uint8_t { f32, bf16, f16 };

size_t dtype_size(DType dtype);       // bytes per element: 4, 2, 2
const char* dtype_name(DType dtype);  // "f32", "bf16", "f16"

// bfloat16: the upper 16 bits of an IEEE f32. Rounding is to nearest, ties to even; NaN stays a
// (quiet) NaN with its sign; infinities stay infinities.
float bf16_to_f32(uint16_t bits);
uint16_t f32_to_bf16(float value);

// IEEE 754 binary16: round to nearest even, subnormals kept, overflow (|x| >= 65520) gives inf,
// NaN stays NaN and is made quiet in both directions (bit-identical to F16C's vcvtps2ph/vcvtph2ps).
float f16_to_f32(uint16_t bits);
uint16_t f32_to_f16(float value);

// Bulk conversions of n elements; src/dst hold n elements of the named dtype. From the avx2 kernel
// level (tensor/cpu/isa.h) they convert 8 elements per instruction; results are bit-identical to
// the scalar functions above on every level (f32 → bf16 included: rounded like f32_to_bf16, not
// like vcvtneps2bf16, which flushes subnormals).
void convert_to_f32(const void* src, DType dtype, float* dst, size_t n);
void convert_from_f32(const float* src, DType dtype, void* dst, size_t n);

}  // namespace t2::tensor
