// Scalar bit-exact conversions between f32, bf16 and f16, and the bulk loops built on them. The
// bulk loops use AVX2/F16C (8 lanes) when the kernel level allows it (cpu/isa.h); every vector
// path gives the scalar functions' bits exactly.
#include "tensor/dtype.h"

#include <immintrin.h>

#include <cstring>  // std::memcpy

#include "base/error.h"
#include "tensor/cpu/isa.h"
#include "tensor/cpu/target.h"

T2_TARGET_BEGIN(T2_TARGET_AVX2)

// Whole groups of 8 elements; each returns how many it converted (the caller does the rest).
namespace t2::tensor::avx2 {

size_t bf16_to_f32(const uint16_t* s, float* d, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {  // widen and shift into the upper half: exact
    const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)));
    _mm256_storeu_ps(d + i, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
  }
  return i;
}

// f32_to_bf16's rule on 8 lanes: round to nearest even by adding 0x7fff + lsb; NaN made quiet.
size_t f32_to_bf16(const float* s, uint16_t* d, size_t n) {
  size_t i = 0;
  const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000);
  const __m256i one = _mm256_set1_epi32(1), bias = _mm256_set1_epi32(0x7fff);
  const __m256i quiet = _mm256_set1_epi32(0x40);
  for (; i + 8 <= n; i += 8) {
    const __m256i u = _mm256_castps_si256(_mm256_loadu_ps(s + i));
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), one);
    const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(bias, lsb)), 16);
    const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, abs_mask), inf);
    const __m256i r = _mm256_blendv_epi8(rounded, _mm256_or_si256(_mm256_srli_epi32(u, 16), quiet), nan);
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i), _mm256_castsi256_si128(packed));
  }
  return i;
}

size_t f16_to_f32(const uint16_t* s, float* d, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)  // vcvtph2ps: exact, subnormals and NaN payloads kept
    _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))));
  return i;
}

size_t f32_to_f16(const float* s, uint16_t* d, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)  // vcvtps2ph rounds to nearest even like f32_to_f16 (tested)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  return i;
}

}  // namespace t2::tensor::avx2

T2_TARGET_END

namespace t2::tensor {

namespace {

// True when the bulk loops may use the AVX2 helpers for n elements.
bool use_avx2(size_t n) { return n >= 8 && cpu_isa() >= CpuIsa::avx2; }

}  // namespace

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f32: return 4;
    case DType::bf16: return 2;
    case DType::f16: return 2;
  }
  T2_FAIL("dtype_size: unknown dtype code %d", static_cast<int>(dtype));
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::bf16: return "bf16";
    case DType::f16: return "f16";
  }
  return "unknown";
}

static uint32_t f32_bits(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return u;
}

static float bits_f32(uint32_t u) {
  float v;
  std::memcpy(&v, &u, 4);
  return v;
}

float bf16_to_f32(uint16_t bits) { return bits_f32(static_cast<uint32_t>(bits) << 16); }

uint16_t f32_to_bf16(float value) {
  uint32_t u = f32_bits(value);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);  // quiet NaN
  uint32_t lsb = (u >> 16) & 1u;
  return static_cast<uint16_t>((u + 0x7fffu + lsb) >> 16);
}

float f16_to_f32(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1fu;
  uint32_t mant = bits & 0x3ffu;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24, exact in f32
    float v = static_cast<float>(mant) * 5.9604644775390625e-08f;
    return sign ? -v : v;
  }
  if (exp == 31) {  // inf, or NaN made quiet with its payload kept (as vcvtph2ps does)
    return bits_f32(sign | 0x7f800000u | (mant ? 0x00400000u : 0u) | (mant << 13));
  }
  return bits_f32(sign | ((exp + 112u) << 23) | (mant << 13));
}

uint16_t f32_to_f16(float value) {
  uint32_t x = f32_bits(value);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u) {  // inf or NaN (NaN made quiet, top payload bits kept)
    if (x == 0x7f800000u) return sign | 0x7c00u;
    return static_cast<uint16_t>(sign | 0x7e00u | ((x >> 13) & 0x3ffu));
  }
  if (x >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds to inf
  if (x < 0x38800000u) {                        // below 2^-14: subnormal half (or zero)
    uint32_t e = x >> 23;
    if (e == 0) return sign;  // f32 subnormals are far below half's smallest subnormal
    uint32_t m = (x & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126u - e;  // value / 2^-24 = m * 2^(e-126)
    if (shift > 24u) return sign;
    uint32_t r = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (r & 1u))) ++r;
    return static_cast<uint16_t>(sign | r);
  }
  uint32_t mant = x & 0x7fffffu;
  uint32_t h = (((x >> 23) - 112u) << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // carry may bump the exponent: correct
  return static_cast<uint16_t>(sign | h);
}

void convert_to_f32(const void* src, DType dtype, float* dst, size_t n) {
  switch (dtype) {
    case DType::f32:
      if (n) std::memcpy(dst, src, n * 4);
      return;
    case DType::bf16: {
      const uint16_t* s = static_cast<const uint16_t*>(src);
      for (size_t i = use_avx2(n) ? avx2::bf16_to_f32(s, dst, n) : 0; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
      return;
    }
    case DType::f16: {
      const uint16_t* s = static_cast<const uint16_t*>(src);
      for (size_t i = use_avx2(n) ? avx2::f16_to_f32(s, dst, n) : 0; i < n; ++i) dst[i] = f16_to_f32(s[i]);
      return;
    }
  }
  T2_FAIL("convert_to_f32: unknown dtype code %d", static_cast<int>(dtype));
}

void convert_from_f32(const float* src, DType dtype, void* dst, size_t n) {
  switch (dtype) {
    case DType::f32:
      if (n) std::memcpy(dst, src, n * 4);
      return;
    case DType::bf16: {
      uint16_t* d = static_cast<uint16_t*>(dst);
      for (size_t i = use_avx2(n) ? avx2::f32_to_bf16(src, d, n) : 0; i < n; ++i) d[i] = f32_to_bf16(src[i]);
      return;
    }
    case DType::f16: {
      uint16_t* d = static_cast<uint16_t*>(dst);
      for (size_t i = use_avx2(n) ? avx2::f32_to_f16(src, d, n) : 0; i < n; ++i) d[i] = f32_to_f16(src[i]);
      return;
    }
  }
  T2_FAIL("convert_from_f32: unknown dtype code %d", static_cast<int>(dtype));
}

}  // namespace t2::tensor
