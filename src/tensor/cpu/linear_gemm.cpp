// f32 GEMM for linear with f32 or f16 weights at batch sizes where weights are reused (prefill).
// Classic outer-product blocking: a panel of 32 weight rows × kKc inputs is transposed (and
// converted from f16) into a packed [kKc][32] buffer that stays in L1, then a 6 × 32 register tile
// (12 zmm accumulators) runs over it for every group of 6 activation rows, broadcasting x values.
// Products and sums are f32, so results match the reference to f32 rounding.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "base/error.h"
#include "tensor/cpu/linear_kernels.h"

namespace t2::tensor::fast::detail {

#if defined(__AVX512F__)

namespace {

constexpr int64_t kKc = 256;  // k block: a packed panel is 32 KiB
constexpr int kRn = 6;        // activation rows per register tile

// packed[kk][c] = W[o0 + c, k0 + kk] for c < rows (zero for the missing rows of a ragged panel).
void pack_panel(const void* w, DType dt, int64_t k, int64_t o0, int64_t rows, int64_t k0,
                int64_t kc, float* packed) {
  for (int64_t c = 0; c < 32; ++c) {
    if (c >= rows) {
      for (int64_t kk = 0; kk < kc; ++kk) packed[kk * 32 + c] = 0.0f;
      continue;
    }
    const int64_t base = (o0 + c) * k + k0;
    if (dt == DType::f32) {
      const float* src = static_cast<const float*>(w) + base;
      for (int64_t kk = 0; kk < kc; ++kk) packed[kk * 32 + c] = src[kk];
    } else {
      const uint16_t* src = static_cast<const uint16_t*>(w) + base;
      for (int64_t kk = 0; kk < kc; ++kk) packed[kk * 32 + c] = f16_to_f32(src[kk]);
    }
  }
}

// y[i, o0 .. o0 + 32) (+)= x[i, k0 .. k0 + kc) · panel for RN rows starting at x.
template <int RN>
void tile(const float* x, int64_t k, const float* packed, int64_t kc, float* y, int64_t m,
          __mmask16 m0, __mmask16 m1, bool add) {
  __m512 c0[RN], c1[RN];
  for (int s = 0; s < RN; ++s) c0[s] = c1[s] = _mm512_setzero_ps();
  for (int64_t kk = 0; kk < kc; ++kk) {
    __m512 w0 = _mm512_load_ps(packed + kk * 32);
    __m512 w1 = _mm512_load_ps(packed + kk * 32 + 16);
    for (int s = 0; s < RN; ++s) {
      __m512 xs = _mm512_set1_ps(x[s * k + kk]);
      c0[s] = _mm512_fmadd_ps(xs, w0, c0[s]);
      c1[s] = _mm512_fmadd_ps(xs, w1, c1[s]);
    }
  }
  for (int s = 0; s < RN; ++s) {
    float* yr = y + s * m;
    if (add) {
      c0[s] = _mm512_add_ps(c0[s], _mm512_maskz_loadu_ps(m0, yr));
      c1[s] = _mm512_add_ps(c1[s], _mm512_maskz_loadu_ps(m1, yr + 16));
    }
    _mm512_mask_storeu_ps(yr, m0, c0[s]);
    _mm512_mask_storeu_ps(yr + 16, m1, c1[s]);
  }
}

using TileFn = void (*)(const float*, int64_t, const float*, int64_t, float*, int64_t, __mmask16,
                        __mmask16, bool);
constexpr TileFn kTiles[kRn] = {tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>};

__mmask16 lanes(int64_t count) {
  if (count <= 0) return 0;
  return count >= 16 ? __mmask16(0xffff) : __mmask16((1u << count) - 1u);
}

}  // namespace

void linear_gemm_f32(const float* x, const void* w, DType w_dtype, float* y, int64_t n, int64_t m,
                     int64_t k, int64_t m0, int64_t m1, bool accumulate) {
  alignas(64) static thread_local float packed[kKc * 32];
  for (int64_t o = m0; o < m1; o += 32) {
    const int64_t rows = std::min<int64_t>(32, m1 - o);
    const __mmask16 mask0 = lanes(rows), mask1 = lanes(rows - 16);
    for (int64_t k0 = 0; k0 < k; k0 += kKc) {
      const int64_t kc = std::min(kKc, k - k0);
      pack_panel(w, w_dtype, k, o, rows, k0, kc, packed);
      const bool add = accumulate || k0 > 0;
      for (int64_t i = 0; i < n; i += kRn) {
        const int rn = int(std::min<int64_t>(kRn, n - i));
        kTiles[rn - 1](x + i * k + k0, k, packed, kc, y + i * m + o, m, mask0, mask1, add);
      }
    }
  }
}

bool have_gemm_f32() { return true; }

#else

void linear_gemm_f32(const float*, const void*, DType, float*, int64_t, int64_t, int64_t, int64_t,
                     int64_t, bool) {
  T2_FAIL("linear: this build has no AVX-512 GEMM kernel (check have_gemm_f32() first)");
}
bool have_gemm_f32() { return false; }

#endif

}  // namespace t2::tensor::fast::detail
