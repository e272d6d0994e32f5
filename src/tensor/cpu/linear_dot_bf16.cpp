// AVX512-BF16 dot kernel for bf16 weights (the avx512bf16 level): y[n, m] = xb[n, kp] · W[m, k]ᵀ
// with vdpbf16ps, which multiplies 32 bf16 pairs and adds them into 16 f32 lanes. A register tile
// of RM weight rows × RN activation rows holds RM · RN accumulators (4 × 6 = 24 of the 32 zmm
// registers, plus 4 weight vectors and 1 activation vector); each step loads RM + RN vectors and
// issues RM · RN vdpbf16ps. Accumulators are reduced once per tile, four at a time into four
// adjacent outputs. The same tile serves decode (n ≤ 2: 8 weight rows × n, W streamed once) and
// prefill (4 × 6, W row blocks kept in L2 while every activation tile passes).
//
// What the inner loop must look like (tests/tensor/inner_loop_test.py checks the compiled 4 × 6
// tile): RM + RN loads, RM · RN vdpbf16ps, pointer increments and one branch, and NO store. GCC 12
// once kept the 24 accumulators in a stack array as well as in registers and stored all 24 on
// every step, which ran the tile at ~60 % of its speed (the reduction loop indexed the array with
// a run-time index; it is now fully unrolled).
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>  // std::index_sequence

#include "tensor/cpu/linear_kernels.h"
#include "tensor/cpu/target.h"

T2_TARGET_BEGIN(T2_TARGET_AVX512BF16)

namespace t2::tensor::fast::avx512bf16 {

namespace {

constexpr int kMaxRm = 8;
constexpr int kMaxRn = 6;
constexpr int64_t kKc = 2048;  // k slice: a 6-row activation tile of it is 24 KiB (stays in L1)

// The two 256-bit halves of v added.
__m256 half(__m512 v) { return _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1)); }

// Sums of four accumulators, in order: [Σ a, Σ b, Σ c, Σ d].
__m128 reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(half(a), half(b)), _mm256_hadd_ps(half(c), half(d)));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

float hsum(__m512 v) {
  const __m256 a = half(v);
  __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  b = _mm_add_ps(b, _mm_movehl_ps(b, b));
  b = _mm_add_ss(b, _mm_movehdup_ps(b));
  return _mm_cvtss_f32(b);
}

// y[s, r] (+)= Σ_j x[s, j] · W[r, j] over j < k for s < RN (x rows kp apart, zero past k up to a
// multiple of 32) and r < RM (W rows ldw apart).
template <int RM, int RN>
void tile(const uint16_t* x, int64_t kp, const uint16_t* w, int64_t ldw, int64_t k, float* y,
          int64_t m, bool acc) {
  __m512 c[RM][RN];
#pragma GCC unroll 8
  for (int r = 0; r < RM; ++r)
#pragma GCC unroll 8
    for (int s = 0; s < RN; ++s) c[r][s] = _mm512_setzero_ps();
  auto step = [&](int64_t j, __mmask32 mask) {
    __m512i wr[RM];
#pragma GCC unroll 8
    for (int r = 0; r < RM; ++r) wr[r] = _mm512_maskz_loadu_epi16(mask, w + r * ldw + j);
#pragma GCC unroll 8
    for (int s = 0; s < RN; ++s) {
      const __m512i xs = _mm512_loadu_si512(x + s * kp + j);
#pragma GCC unroll 8
      for (int r = 0; r < RM; ++r) c[r][s] = _mm512_dpbf16_ps(c[r][s], (__m512bh)wr[r], (__m512bh)xs);
    }
  };
  int64_t j = 0;
  for (; j + 32 <= k; j += 32) step(j, ~__mmask32(0));
  if (j < k) step(j, __mmask32((1u << (k - j)) - 1u));
#pragma GCC unroll 8
  for (int s = 0; s < RN; ++s) {
    float* ys = y + s * m;
    if constexpr (RM % 4 == 0) {
#pragma GCC unroll 2
      for (int r = 0; r < RM; r += 4) {
        __m128 v = reduce4(c[r][s], c[r + 1][s], c[r + 2][s], c[r + 3][s]);
        if (acc) v = _mm_add_ps(v, _mm_loadu_ps(ys + r));
        _mm_storeu_ps(ys + r, v);
      }
    } else {
#pragma GCC unroll 8
      for (int r = 0; r < RM; ++r) {
        const float v = hsum(c[r][s]);
        ys[r] = acc ? ys[r] + v : v;
      }
    }
  }
}

using TileFn = void (*)(const uint16_t*, int64_t, const uint16_t*, int64_t, int64_t, float*,
                        int64_t, bool);

template <size_t... I>
constexpr std::array<TileFn, sizeof...(I)> make_table(std::index_sequence<I...>) {
  return {&tile<int(I / kMaxRn) + 1, int(I % kMaxRn) + 1>...};
}

TileFn tile_fn(int rm, int rn) {
  static constexpr auto table = make_table(std::make_index_sequence<kMaxRm * kMaxRn>{});
  return table[size_t((rm - 1) * kMaxRn + (rn - 1))];
}

}  // namespace

// Rows [m0, m1) of y. Blocks of `block` weight rows (~256 KiB of a k slice, kept in L2) meet every
// activation tile; k is taken in slices of kKc, the later ones adding to y.
void linear_dot_bf16(const uint16_t* xb, int64_t kp, const uint16_t* w, float* y, int64_t n,
                     int64_t m, int64_t k, int64_t m0, int64_t m1, bool accumulate) {
  const int rm_max = n <= 2 ? 8 : 4;
  const int rn_max = n <= 2 ? int(n) : kMaxRn;
  const int64_t kc_max = std::min(k, kKc);
  const int64_t block = std::max<int64_t>(8, (int64_t(256) << 10) / (2 * kc_max) / 8 * 8);
  for (int64_t mb = m0; mb < m1; mb += block) {
    const int64_t me = std::min(m1, mb + block);
    for (int64_t k0 = 0; k0 < k; k0 += kKc) {
      const int64_t kc = std::min(kKc, k - k0);
      const bool acc = accumulate || k0 > 0;
      for (int64_t i = 0; i < n; i += rn_max) {
        const int rn = int(std::min<int64_t>(rn_max, n - i));
        for (int64_t o = mb; o < me; o += rm_max) {
          const int rm = int(std::min<int64_t>(rm_max, me - o));
          tile_fn(rm, rn)(xb + i * kp + k0, kp, w + o * k + k0, k, kc, y + i * m + o, m, acc);
        }
      }
    }
  }
}

}  // namespace t2::tensor::fast::avx512bf16

T2_TARGET_END
