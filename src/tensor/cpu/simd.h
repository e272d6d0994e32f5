// The two f32 vector types the level-generic kernels (cpu/*_vec.inc) are written against: V16
// (AVX-512, 16 lanes, mask registers) and V8 (AVX2 + FMA + F16C, 8 lanes, masks as all-ones
// lanes). Each is defined inside the target region of its level (cpu/target.h), so its functions
// may only run once cpu_isa() allows that level. Same operations, same results lane by lane: the
// exp is one algorithm for both (≤ 3 ulp, tested against libm in tests/tensor/simd_test.cpp).
// Partial loads and stores touch only the named elements (no read past the end of a buffer).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>  // std::memcpy

#include "tensor/cpu/target.h"

namespace t2::tensor::fast::simd {

// Cephes expf: x = n·ln2 + r, |r| ≤ ln2/2, e^r by a degree-6 polynomial. Constants shared by both
// vector types; x is clamped to [-104, 89] (beyond that e^x is 0 or inf in f32).
struct ExpConstants {
  static constexpr float kLog2e = 1.44269504088896341f;
  static constexpr float kLn2Hi = 0.693359375f;
  static constexpr float kLn2Lo = -2.12194440e-4f;
  static constexpr float kP[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                  4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
  static constexpr float kMin = -104.0f, kMax = 89.0f;
};

T2_TARGET_BEGIN(T2_TARGET_AVX512)

struct V16 {
  static constexpr int N = 16;
  using F = __m512;
  using Mask = __mmask16;

  static F zero() { return _mm512_setzero_ps(); }
  static F set1(float v) { return _mm512_set1_ps(v); }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  // 16 bf16 (exact: the upper half of an f32) or f16 (vcvtph2ps, exact) values widened to f32.
  static F load_bf16(const uint16_t* p) {
    return widen_bf16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static F load_f16(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static Mask first(int64_t n) {  // lanes [0, n)
    return n >= N ? Mask(0xffff) : n <= 0 ? Mask(0) : Mask((1u << n) - 1u);
  }
  static F load(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static F load_bf16(const uint16_t* p, Mask m) { return widen_bf16(_mm256_maskz_loadu_epi16(m, p)); }
  // (the unmasked conversion of a masked load trips GCC 12's -Wuninitialized)
  static F load_f16(const uint16_t* p, Mask m) {
    return _mm512_maskz_cvtph_ps(m, _mm256_maskz_loadu_epi16(m, p));
  }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static void store(float* p, F v, Mask m) { _mm512_mask_storeu_ps(p, m, v); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }  // a·b + c
  // max(a, b) with vmaxps' rule: b when either is NaN.
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F select(Mask m, F a, F b) { return _mm512_mask_blend_ps(m, b, a); }  // m ? a : b
  static F keep(Mask m, F a) { return _mm512_maskz_mov_ps(m, a); }           // m ? a : 0

  static float hsum(F v) {  // (GCC 12's _mm512_reduce_add_ps trips -Wuninitialized)
    __m256 a = _mm256_add_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1));
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_add_ps(b, _mm_movehl_ps(b, b));
    b = _mm_add_ss(b, _mm_movehdup_ps(b));
    return _mm_cvtss_f32(b);
  }
  static float hmax(F v) {
    __m256 a = _mm256_max_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1));
    __m128 b = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_max_ps(b, _mm_movehl_ps(b, b));
    b = _mm_max_ss(b, _mm_movehdup_ps(b));
    return _mm_cvtss_f32(b);
  }

  static F exp(F x) {
    using C = ExpConstants;
    x = _mm512_max_ps(set1(C::kMin), x);  // x second: NaN passes through
    x = _mm512_min_ps(set1(C::kMax), x);
    F n = _mm512_roundscale_ps(mul(x, set1(C::kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    F r = _mm512_fnmadd_ps(n, set1(C::kLn2Hi), x);
    r = _mm512_fnmadd_ps(n, set1(C::kLn2Lo), r);
    F p = set1(C::kP[0]);
    for (int i = 1; i < 6; ++i) p = fma(p, r, set1(C::kP[i]));
    p = fma(p, mul(r, r), add(r, set1(1.0f)));
    return _mm512_scalef_ps(p, n);  // p · 2^n, overflow to inf and underflow to 0 included
  }

  // In-register transpose: r[i][j] → r[j][i] for a 16×16 block.
  static void transpose(F r[16]) {
    F t[16], u[16];
    for (int i = 0; i < 8; ++i) {
      t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // u[4q + j] holds, in 128-bit lane L, rows 4q..4q+3 of column 4L + j.
    for (int q = 0; q < 4; ++q) {
      __m512d a = _mm512_castps_pd(t[4 * q]), b = _mm512_castps_pd(t[4 * q + 2]);
      __m512d c = _mm512_castps_pd(t[4 * q + 1]), d = _mm512_castps_pd(t[4 * q + 3]);
      u[4 * q + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
      u[4 * q + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
      u[4 * q + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
      u[4 * q + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
    }
    for (int j = 0; j < 4; ++j) {
      F v0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88), v1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xdd);
      F w0 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88), w1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xdd);
      r[j] = _mm512_shuffle_f32x4(v0, w0, 0x88);
      r[8 + j] = _mm512_shuffle_f32x4(v0, w0, 0xdd);
      r[4 + j] = _mm512_shuffle_f32x4(v1, w1, 0x88);
      r[12 + j] = _mm512_shuffle_f32x4(v1, w1, 0xdd);
    }
  }

 private:
  static F widen_bf16(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
};

T2_TARGET_END

T2_TARGET_BEGIN(T2_TARGET_AVX2)

struct V8 {
  static constexpr int N = 8;
  using F = __m256;
  using Mask = __m256;  // all-ones lanes are set

  static F zero() { return _mm256_setzero_ps(); }
  static F set1(float v) { return _mm256_set1_ps(v); }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  // 8 bf16 → f32 by one in-lane byte shuffle of the 16 bytes loaded into both lanes (vpshufb runs
  // beside the FMAs; the shift of the masked form below competes with them).
  static F load_bf16(const uint16_t* p) {
    const __m256i both = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    const __m256i to_high = _mm256_setr_epi8(-1, -1, 0, 1, -1, -1, 2, 3, -1, -1, 4, 5, -1, -1, 6, 7,
                                             -1, -1, 8, 9, -1, -1, 10, 11, -1, -1, 12, 13, -1, -1, 14, 15);
    return _mm256_castsi256_ps(_mm256_shuffle_epi8(both, to_high));
  }
  static F load_f16(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static Mask first(int64_t n) {
    const int c = n >= N ? N : n <= 0 ? 0 : int(n);
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
  }
  static F load(const float* p, Mask m) { return _mm256_maskload_ps(p, _mm256_castps_si256(m)); }
  // 16-bit elements have no masked load in AVX2: the active lanes are copied (they are a prefix).
  static F load_bf16(const uint16_t* p, Mask m) { return widen_bf16(load_prefix16(p, m)); }
  static F load_f16(const uint16_t* p, Mask m) { return _mm256_cvtph_ps(load_prefix16(p, m)); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static void store(float* p, F v, Mask m) { _mm256_maskstore_ps(p, _mm256_castps_si256(m), v); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F select(Mask m, F a, F b) { return _mm256_blendv_ps(b, a, m); }
  static F keep(Mask m, F a) { return _mm256_and_ps(m, a); }

  static float hsum(F v) {
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    b = _mm_add_ps(b, _mm_movehl_ps(b, b));
    b = _mm_add_ss(b, _mm_movehdup_ps(b));
    return _mm_cvtss_f32(b);
  }
  static float hmax(F v) {
    __m128 b = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    b = _mm_max_ps(b, _mm_movehl_ps(b, b));
    b = _mm_max_ss(b, _mm_movehdup_ps(b));
    return _mm_cvtss_f32(b);
  }

  static F exp(F x) {
    using C = ExpConstants;
    x = _mm256_max_ps(set1(C::kMin), x);
    x = _mm256_min_ps(set1(C::kMax), x);
    F n = _mm256_round_ps(mul(x, set1(C::kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    F r = _mm256_fnmadd_ps(n, set1(C::kLn2Hi), x);
    r = _mm256_fnmadd_ps(n, set1(C::kLn2Lo), r);
    F p = set1(C::kP[0]);
    for (int i = 1; i < 6; ++i) p = fma(p, r, set1(C::kP[i]));
    p = fma(p, mul(r, r), add(r, set1(1.0f)));
    // p · 2^n as p · 2^h · 2^(n−h), h = n/2: both factors are normal numbers for n in [−151, 129],
    // so results in the subnormal range and overflow to inf come out as vscalefps gives them.
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i h = _mm256_srai_epi32(ni, 1);
    return mul(mul(p, pow2(h)), pow2(_mm256_sub_epi32(ni, h)));
  }

  // In-register transpose of an 8×8 block.
  static void transpose(F r[8]) {
    F t[8], u[8];
    for (int i = 0; i < 4; ++i) {
      t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int q = 0; q < 2; ++q) {
      u[4 * q + 0] = _mm256_shuffle_ps(t[4 * q], t[4 * q + 2], 0x44);
      u[4 * q + 1] = _mm256_shuffle_ps(t[4 * q], t[4 * q + 2], 0xee);
      u[4 * q + 2] = _mm256_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0x44);
      u[4 * q + 3] = _mm256_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0xee);
    }
    for (int j = 0; j < 4; ++j) {
      r[j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x20);
      r[4 + j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x31);
    }
  }

 private:
  static F pow2(__m256i e) {  // 2^e for e in [−126, 127]
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23));
  }
  static F widen_bf16(__m128i h) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static __m128i load_prefix16(const uint16_t* p, Mask m) {
    const int n = __builtin_popcount(unsigned(_mm256_movemask_ps(m)));
    alignas(16) uint16_t buf[8] = {};
    std::memcpy(buf, p, size_t(n) * 2);
    return _mm_load_si128(reinterpret_cast<const __m128i*>(buf));
  }
};

T2_TARGET_END

}  // namespace t2::tensor::fast::simd
