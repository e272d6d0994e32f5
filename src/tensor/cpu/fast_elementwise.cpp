// Fast row-wise and element-wise kernels: RMSNorm, RoPE, SiLU·up, log-softmax, embedding, add.
// These are memory-light; SiLU and log-softmax use the AVX-512 vector exp (their exps dominate
// prefill and vocabulary-wide scoring otherwise), the rest are loops the compiler vectorises.
// Rows are split over the kernel worker pool when there is enough work.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/cpu/fast.h"
#include "tensor/cpu/thread_pool.h"
#if defined(__AVX512F__)
#include "tensor/cpu/simd_math.h"  // simd::exp, simd::hsum
#endif

namespace t2::tensor::fast {

namespace {

// Work (in elements) below which a parallel region costs more than it saves (see kParallelMinWork).
constexpr int64_t kParallelMin = 1 << 17;

// Calls body(i0, i1) over [0, n): on the calling thread when work < kParallelMin, else in a few
// blocks per thread on the kernel worker pool.
template <typename F>
void for_blocks(int64_t n, int64_t work, const F& body) {
  const int threads = pool_threads();
  if (work < kParallelMin || threads == 1 || n < 2) {
    body(int64_t(0), n);
    return;
  }
  const int64_t per = (n + 4 * threads - 1) / (4 * threads);
  parallel_chunks((n + per - 1) / per,
                  [&](int64_t c) { body(c * per, std::min(n, (c + 1) * per)); });
}

// Sum of squares with 16 independent f32 lanes, reduced in double.
double sum_squares(const float* x, int64_t d) {
  float lanes[16] = {};
  int64_t j = 0;
  for (; j + 16 <= d; j += 16)
    for (int l = 0; l < 16; ++l) lanes[l] += x[j + l] * x[j + l];
  double s = 0.0;
  for (int l = 0; l < 16; ++l) s += lanes[l];
  for (; j < d; ++j) s += double(x[j]) * x[j];
  return s;
}

}  // namespace

void rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t d, float eps) {
  for_blocks(n, n * d, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float* xr = x + i * d;
      float* yr = y + i * d;
      float inv = static_cast<float>(1.0 / std::sqrt(sum_squares(xr, d) / double(d) + double(eps)));
      for (int64_t j = 0; j < d; ++j) yr[j] = xr[j] * inv * weight[j];
    }
  });
}

void rope(float* x, const int32_t* pos, const float* inv_freq, int64_t n, int64_t n_head,
          int64_t head_dim) {
  int64_t half = head_dim / 2;
  for_blocks(n, n * n_head * head_dim, [&](int64_t i0, int64_t i1) {
    std::vector<float> cs(static_cast<size_t>(head_dim));  // cos [half] then sin [half]
    for (int64_t i = i0; i < i1; ++i) {
      for (int64_t j = 0; j < half; ++j) {
        float angle = static_cast<float>(pos[i]) * inv_freq[j];
        cs[j] = static_cast<float>(std::cos(double(angle)));
        cs[half + j] = static_cast<float>(std::sin(double(angle)));
      }
      for (int64_t h = 0; h < n_head; ++h) {
        float* v = x + (i * n_head + h) * head_dim;
        for (int64_t j = 0; j < half; ++j) {
          float x1 = v[j], x2 = v[j + half], c = cs[j], s = cs[half + j];
          v[j] = x1 * c - x2 * s;
          v[j + half] = x2 * c + x1 * s;
        }
      }
    }
  });
}

#if defined(__AVX512F__)

namespace {

__mmask16 tail_mask(int64_t count) { return __mmask16((1u << count) - 1u); }

// silu(g) · u = g · u / (1 + e^−g) for 16 lanes.
__m512 silu_mul16(__m512 g, __m512 u) {
  __m512 e = simd::exp(_mm512_sub_ps(_mm512_setzero_ps(), g));
  return _mm512_div_ps(_mm512_mul_ps(g, u), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

}  // namespace

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  const int64_t n_vec = n / 16;
  for_blocks(n_vec, n, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      _mm512_storeu_ps(out + 16 * b, silu_mul16(_mm512_loadu_ps(gate + 16 * b), _mm512_loadu_ps(up + 16 * b)));
  });
  if (n % 16) {
    const int64_t i = n_vec * 16;
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(out + i, m, silu_mul16(_mm512_maskz_loadu_ps(m, gate + i), _mm512_maskz_loadu_ps(m, up + i)));
  }
}

void log_softmax(const float* x, float* y, int64_t n, int64_t d) {
  for_blocks(n, n * d, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float* xr = x + i * d;
      float* yr = y + i * d;
      const int64_t d_vec = d / 16 * 16;
      const __mmask16 m = tail_mask(d - d_vec);
      __m512 vmx = _mm512_set1_ps(-INFINITY);
      for (int64_t j = 0; j < d_vec; j += 16) vmx = _mm512_max_ps(vmx, _mm512_loadu_ps(xr + j));
      if (m) vmx = _mm512_mask_max_ps(vmx, m, vmx, _mm512_maskz_loadu_ps(m, xr + d_vec));
      const float mx = _mm512_reduce_max_ps(vmx);
      const __m512 bmx = _mm512_set1_ps(mx);
      __m512 vsum = _mm512_setzero_ps();
      for (int64_t j = 0; j < d_vec; j += 16)
        vsum = _mm512_add_ps(vsum, simd::exp(_mm512_sub_ps(_mm512_loadu_ps(xr + j), bmx)));
      if (m)
        vsum = _mm512_add_ps(vsum, _mm512_maskz_mov_ps(m, simd::exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, xr + d_vec), bmx))));
      // (x − max) is exact for nearby values; subtracting max + log(sum) rounded to f32 would not be.
      const __m512 log_sum = _mm512_set1_ps(static_cast<float>(std::log(double(simd::hsum(vsum)))));
      for (int64_t j = 0; j < d_vec; j += 16)
        _mm512_storeu_ps(yr + j, _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(xr + j), bmx), log_sum));
      if (m)
        _mm512_mask_storeu_ps(yr + d_vec, m, _mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, xr + d_vec), bmx), log_sum));
    }
  });
}

#else  // portable loops

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  for_blocks(n, n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float g = gate[i];
      out[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
  });
}

void log_softmax(const float* x, float* y, int64_t n, int64_t d) {
  for_blocks(n, n * d, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float* xr = x + i * d;
      float* yr = y + i * d;
      float mx = -INFINITY;
      for (int64_t j = 0; j < d; ++j) mx = std::max(mx, xr[j]);
      double sum = 0.0;
      for (int64_t j = 0; j < d; ++j) sum += std::exp(double(xr[j]) - mx);
      float log_sum = static_cast<float>(std::log(sum));
      for (int64_t t = 0; t < d; ++t) yr[t] = (xr[t] - mx) - log_sum;
    }
  });
}

#endif

void embedding(const void* table, DType dtype, const int32_t* ids, float* out, int64_t n, int64_t d) {
  size_t row_bytes = static_cast<size_t>(d) * dtype_size(dtype);
  for (int64_t i = 0; i < n; ++i)
    convert_to_f32(static_cast<const char*>(table) + static_cast<size_t>(ids[i]) * row_bytes, dtype,
                   out + i * d, static_cast<size_t>(d));
}

void add(const float* a, const float* b, float* y, int64_t n) {
  for_blocks(n, n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) y[i] = a[i] + b[i];
  });
}

}  // namespace t2::tensor::fast
