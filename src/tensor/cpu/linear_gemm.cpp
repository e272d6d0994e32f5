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

// In-register transpose: r[i][j] → r[j][i] for a 16×16 block of floats.
void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
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
    __m512 v0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88), v1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xdd);
    __m512 w0 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88), w1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xdd);
    r[j] = _mm512_shuffle_f32x4(v0, w0, 0x88);
    r[8 + j] = _mm512_shuffle_f32x4(v0, w0, 0xdd);
    r[4 + j] = _mm512_shuffle_f32x4(v1, w1, 0x88);
    r[12 + j] = _mm512_shuffle_f32x4(v1, w1, 0xdd);
  }
}

// packed[kk][c] = W[o0 + c, k0 + kk] for c < rows (zero for the missing rows of a ragged panel),
// transposed 16×16 at a time in registers.
void pack_panel(const void* w, DType dt, int64_t k, int64_t o0, int64_t rows, int64_t k0,
                int64_t kc, float* packed) {
  __m512 r[16];
  for (int64_t half = 0; half < 32; half += 16) {
    for (int64_t kk0 = 0; kk0 < kc; kk0 += 16) {
      const int64_t width = std::min<int64_t>(16, kc - kk0);
      const __mmask16 m = width == 16 ? __mmask16(0xffff) : __mmask16((1u << width) - 1u);
      for (int i = 0; i < 16; ++i) {
        const int64_t c = half + i;
        if (c >= rows) {
          r[i] = _mm512_setzero_ps();
          continue;
        }
        const int64_t at = (o0 + c) * k + k0 + kk0;
        if (dt == DType::f32)
          r[i] = _mm512_maskz_loadu_ps(m, static_cast<const float*>(w) + at);
        else
          r[i] = _mm512_maskz_cvtph_ps(m, _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t*>(w) + at));
      }
      transpose16(r);
      for (int64_t j = 0; j < width; ++j) _mm512_store_ps(packed + (kk0 + j) * 32 + half, r[j]);
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
