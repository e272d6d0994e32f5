// AMX-BF16 linear for prefill-sized batches. The product is computed transposed, yᵀ = W · xᵀ, so
// that A tiles (16 weight rows × 32 k) load straight from the row-major [m, k] weight and only the
// activations need repacking (into VNNI-ordered B tiles). A 2×2 block of C tiles (32 weight rows ×
// 32 activation rows) accumulates in tile registers over all of k, then is transposed into y.
// Linux hands out AMX state only on request (arch_prctl ARCH_REQ_XCOMP_PERM): cpu/isa.cpp asks once
// and reports the amx level only when it was granted.
#include <immintrin.h>

#include <algorithm>  // std::min
#include <cstring>

#include "tensor/cpu/linear_kernels.h"
#include "tensor/cpu/target.h"

T2_TARGET_BEGIN(T2_TARGET_AMX)

namespace t2::tensor::fast::amx {

namespace {

struct alignas(64) TileConfig {
  uint8_t palette_id;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

// Tiles 0..3: C (16×16 f32); 4, 5: A (16 rows × 32 bf16 of W); 6, 7: B (16 k-pairs × 16 x rows).
void configure_tiles() {
  TileConfig cfg;
  std::memset(&cfg, 0, sizeof cfg);
  cfg.palette_id = 1;
  for (int t = 0; t < 8; ++t) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  _tile_loadconfig(&cfg);
}

// Adds (or writes) the transposed 16×16 tile c[r][col] = y[n0 + col, o0 + r] for col < n_valid:
// column col of c (a stride-16 gather) is 16 consecutive outputs of one y row.
void scatter(const float* c, float* y, int64_t m, int64_t o0, int64_t n0, int64_t n_valid, bool acc) {
  const __m512i rows = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                          _mm512_set1_epi32(16));
  for (int64_t col = 0; col < n_valid; ++col) {
    __m512 v = _mm512_i32gather_ps(rows, c + col, 4);
    float* yr = y + (n0 + col) * m + o0;
    if (acc) v = _mm512_add_ps(v, _mm512_loadu_ps(yr));
    _mm512_storeu_ps(yr, v);
  }
}

// NA weight tiles (16 rows each) × NB activation tiles (16 rows each) over all of k.
template <int NA, int NB>
void block(const uint16_t* packed, const uint16_t* w, float* y, int64_t n, int64_t m, int64_t k,
           int64_t o0, int64_t g0, bool acc) {
  const int64_t nkb = k / 32;
  const int64_t w_stride = k * 2;  // bytes between weight rows
  _tile_zero(0);
  if constexpr (NB == 2) _tile_zero(1);
  if constexpr (NA == 2) _tile_zero(2);
  if constexpr (NA == 2 && NB == 2) _tile_zero(3);
  const uint16_t* b0 = packed + g0 * nkb * 512;
  const uint16_t* b1 = b0 + nkb * 512;
  const uint16_t* a0 = w + o0 * k;
  const uint16_t* a1 = a0 + 16 * k;
  for (int64_t kb = 0; kb < nkb; ++kb) {
    _tile_loadd(4, a0 + kb * 32, w_stride);
    _tile_loadd(6, b0 + kb * 512, 64);
    _tile_dpbf16ps(0, 4, 6);
    if constexpr (NB == 2) {
      _tile_loadd(7, b1 + kb * 512, 64);
      _tile_dpbf16ps(1, 4, 7);
    }
    if constexpr (NA == 2) {
      _tile_loadd(5, a1 + kb * 32, w_stride);
      _tile_dpbf16ps(2, 5, 6);
      if constexpr (NB == 2) _tile_dpbf16ps(3, 5, 7);
    }
  }
  alignas(64) float c[256];
  const int64_t n0 = g0 * 16;
  auto valid = [&](int64_t start) { return std::min<int64_t>(16, n - start); };
  _tile_stored(0, c, 64);
  scatter(c, y, m, o0, n0, valid(n0), acc);
  if constexpr (NB == 2) {
    _tile_stored(1, c, 64);
    scatter(c, y, m, o0, n0 + 16, valid(n0 + 16), acc);
  }
  if constexpr (NA == 2) {
    _tile_stored(2, c, 64);
    scatter(c, y, m, o0 + 16, n0, valid(n0), acc);
    if constexpr (NB == 2) {
      _tile_stored(3, c, 64);
      scatter(c, y, m, o0 + 16, n0 + 16, valid(n0 + 16), acc);
    }
  }
}

}  // namespace

void linear_bf16(const uint16_t* packed, const uint16_t* w, float* y, int64_t n, int64_t m,
                     int64_t k, int64_t m0, int64_t m1, bool accumulate) {
  configure_tiles();
  const int64_t ng = (n + 15) / 16;
  // Weight rows are taken in panels of ~1 MiB (kept in L2) and every activation tile pair passes
  // over a panel before the next one; the activations are thus streamed once per panel instead of
  // once per 32 weight rows.
  const int64_t panel = std::max<int64_t>(32, (int64_t(1) << 20) / (2 * k) / 32 * 32);
  for (int64_t p0 = m0; p0 < m1; p0 += panel) {
    const int64_t p1 = std::min(m1, p0 + panel);
    for (int64_t g = 0; g < ng; g += 2) {
      const bool two_b = ng - g >= 2;
      for (int64_t o = p0; o < p1; o += 32) {
        const bool two_a = p1 - o >= 32;
        if (two_a && two_b) block<2, 2>(packed, w, y, n, m, k, o, g, accumulate);
        else if (two_a) block<2, 1>(packed, w, y, n, m, k, o, g, accumulate);
        else if (two_b) block<1, 2>(packed, w, y, n, m, k, o, g, accumulate);
        else block<1, 1>(packed, w, y, n, m, k, o, g, accumulate);
      }
    }
  }
  _tile_release();
}

}  // namespace t2::tensor::fast::amx

T2_TARGET_END

namespace t2::tensor::fast::amx {

int64_t pack_x(const uint16_t* xb, int64_t n, int64_t k, uint16_t* packed) {
  const int64_t ng = (n + 15) / 16, nkb = k / 32;
  for (int64_t g = 0; g < ng; ++g)
    for (int64_t kb = 0; kb < nkb; ++kb) {
      uint16_t* t = packed + (g * nkb + kb) * 512;  // [16 k-pairs][16 rows][2]
      for (int c = 0; c < 16; ++c) {
        int64_t row = g * 16 + c;
        const uint16_t* src = xb + row * k + kb * 32;
        for (int p = 0; p < 16; ++p) {
          t[p * 32 + c * 2] = row < n ? src[2 * p] : 0;
          t[p * 32 + c * 2 + 1] = row < n ? src[2 * p + 1] : 0;
        }
      }
    }
  return ng * 16 * k;
}

}  // namespace t2::tensor::fast::amx
