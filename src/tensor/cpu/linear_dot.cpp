// Dot-product linear kernels: a register tile of RM weight rows × RN activation rows accumulates
// 16-lane partial sums over k, then reduces each lane vector once. Weights are streamed once per
// activation tile, which makes decode (n ≤ 6: a single tile) read every weight exactly once.
// AVX-512 builds use vdpbf16ps (bf16) and vfmadd (f32/f16); other builds use portable loops.
#include <immintrin.h>

#include <algorithm>  // std::min
#include <array>
#include <utility>  // std::index_sequence

#include "tensor/cpu/linear_kernels.h"
#if defined(__AVX512F__)
#include "tensor/cpu/simd_math.h"  // simd::hsum
#endif

namespace t2::tensor::fast::detail {

namespace {

constexpr int kMaxRm = 8;
constexpr int kMaxRn = 6;
constexpr int64_t kRowBlock = 64;  // weight rows kept hot in L2 while activation tiles pass


// One register tile: y[s, r] for s < RN activation rows, r < RM weight rows. WT selects the
// weight format; x is bf16 for WT == bf16 and f32 otherwise.
template <DType WT, int RM, int RN>
void tile(const void* xv, int64_t kp, const void* wv, int64_t k, float* y, int64_t m, bool acc) {
#if defined(__AVX512F__) && defined(__AVX512BF16__)
  __m512 c[RM][RN];
  for (int r = 0; r < RM; ++r)
    for (int s = 0; s < RN; ++s) c[r][s] = _mm512_setzero_ps();
  if constexpr (WT == DType::bf16) {
    const uint16_t* w = static_cast<const uint16_t*>(wv);
    const uint16_t* x = static_cast<const uint16_t*>(xv);
    for (int64_t j = 0; j < k; j += 32) {
      __mmask32 mask = k - j >= 32 ? ~__mmask32(0) : __mmask32((1u << (k - j)) - 1u);
      __m512i wr[RM];
      for (int r = 0; r < RM; ++r) wr[r] = _mm512_maskz_loadu_epi16(mask, w + r * k + j);
      for (int s = 0; s < RN; ++s) {
        __m512i xs = _mm512_loadu_si512(x + s * kp + j);  // zero-padded past k
        for (int r = 0; r < RM; ++r)
          c[r][s] = _mm512_dpbf16_ps(c[r][s], (__m512bh)wr[r], (__m512bh)xs);
      }
    }
  } else {
    const float* x = static_cast<const float*>(xv);
    for (int64_t j = 0; j < k; j += 16) {
      __mmask16 mask = k - j >= 16 ? __mmask16(0xffff) : __mmask16((1u << (k - j)) - 1u);
      __m512 wr[RM];
      for (int r = 0; r < RM; ++r) {
        if constexpr (WT == DType::f32)
          wr[r] = _mm512_maskz_loadu_ps(mask, static_cast<const float*>(wv) + r * k + j);
        else
          wr[r] = _mm512_maskz_cvtph_ps(  // (the unmasked form trips GCC 12's -Wuninitialized)
              mask, _mm256_maskz_loadu_epi16(mask, static_cast<const uint16_t*>(wv) + r * k + j));
      }
      for (int s = 0; s < RN; ++s) {
        __m512 xs = _mm512_loadu_ps(x + s * kp + j);
        for (int r = 0; r < RM; ++r) c[r][s] = _mm512_fmadd_ps(wr[r], xs, c[r][s]);
      }
    }
  }
  for (int s = 0; s < RN; ++s)
    for (int r = 0; r < RM; ++r) {
      float v = simd::hsum(c[r][s]);
      y[s * m + r] = acc ? y[s * m + r] + v : v;
    }
#else
  // Portable fallback: same tile order, scalar f32 accumulation.
  for (int s = 0; s < RN; ++s)
    for (int r = 0; r < RM; ++r) {
      float sum = 0.0f;
      for (int64_t j = 0; j < k; ++j) {
        float wj;
        if constexpr (WT == DType::f32) wj = static_cast<const float*>(wv)[r * k + j];
        else if constexpr (WT == DType::f16) wj = f16_to_f32(static_cast<const uint16_t*>(wv)[r * k + j]);
        else wj = bf16_to_f32(static_cast<const uint16_t*>(wv)[r * k + j]);
        float xj = WT == DType::bf16 ? bf16_to_f32(static_cast<const uint16_t*>(xv)[s * kp + j])
                                     : static_cast<const float*>(xv)[s * kp + j];
        sum += wj * xj;
      }
      y[s * m + r] = acc ? y[s * m + r] + sum : sum;
    }
#endif
}

using TileFn = void (*)(const void*, int64_t, const void*, int64_t, float*, int64_t, bool);

template <DType WT, size_t... I>
constexpr std::array<TileFn, sizeof...(I)> make_table(std::index_sequence<I...>) {
  return {&tile<WT, int(I / kMaxRn) + 1, int(I % kMaxRn) + 1>...};
}

template <DType WT>
TileFn tile_fn(int rm, int rn) {
  static constexpr auto table = make_table<WT>(std::make_index_sequence<kMaxRm * kMaxRn>{});
  return table[(rm - 1) * kMaxRn + (rn - 1)];
}

// Walks rows [m0, m1) in blocks; within a block, every activation tile meets every weight tile.
template <DType WT>
void run(const void* x, size_t x_elem, int64_t kp, const void* w, float* y, int64_t n, int64_t m,
         int64_t k, int64_t m0, int64_t m1, bool acc) {
  const int rm_max = n <= 2 ? 8 : 4;
  const int rn_max = n <= 2 ? int(n) : kMaxRn;
  const size_t w_elem = dtype_size(WT);
  for (int64_t mb = m0; mb < m1; mb += kRowBlock) {
    int64_t me = std::min(m1, mb + kRowBlock);
    for (int64_t i = 0; i < n; i += rn_max) {
      int rn = int(std::min<int64_t>(rn_max, n - i));
      const void* xt = static_cast<const char*>(x) + size_t(i * kp) * x_elem;
      for (int64_t o = mb; o < me; o += rm_max) {
        int rm = int(std::min<int64_t>(rm_max, me - o));
        tile_fn<WT>(rm, rn)(xt, kp, static_cast<const char*>(w) + size_t(o * k) * w_elem, k,
                            y + i * m + o, m, acc);
      }
    }
  }
}

}  // namespace

void linear_dot_bf16(const uint16_t* xb, int64_t kp, const uint16_t* w, float* y, int64_t n,
                     int64_t m, int64_t k, int64_t m0, int64_t m1, bool accumulate) {
  run<DType::bf16>(xb, 2, kp, w, y, n, m, k, m0, m1, accumulate);
}

void linear_dot_f32(const float* xf, int64_t kp, const void* w, DType w_dtype, float* y, int64_t n,
                    int64_t m, int64_t k, int64_t m0, int64_t m1, bool accumulate) {
  if (w_dtype == DType::f16)
    run<DType::f16>(xf, 4, kp, w, y, n, m, k, m0, m1, accumulate);
  else
    run<DType::f32>(xf, 4, kp, w, y, n, m, k, m0, m1, accumulate);
}

}  // namespace t2::tensor::fast::detail
