// Fast row-wise and element-wise kernels: RMSNorm, RoPE, SiLU·up, log-softmax, embedding, add, and
// the memory-read probe (a sum of 64-bit words at the bandwidth the kernels' threads reach).
// These are memory-light; SiLU and log-softmax use the vector exp of the current level
// (cpu/elementwise_vec.inc; their exps dominate prefill and vocabulary-wide scoring otherwise),
// with plain loops at the generic level; the rest are loops the compiler vectorises for its
// baseline. Rows are split over the kernel worker pool when there is enough work.
#include <algorithm>
#include <cmath>
#include <vector>

#include <immintrin.h>

#include "tensor/cpu/fast.h"
#include "tensor/cpu/target.h"
#include "tensor/cpu/thread_pool.h"
#include "tensor/cpu/vec_kernels.h"

T2_TARGET_BEGIN(T2_TARGET_AVX2)
namespace t2::tensor::fast::avx2 {

// Σ w[i] (mod 2^64) over n words with 8 independent 256-bit accumulators: 256 bytes per step, so
// the loop waits on memory, not on an add chain.
uint64_t sum_words(const uint64_t* w, int64_t n) {
  __m256i acc[8];
  for (auto& a : acc) a = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int u = 0; u < 8; ++u)
      acc[u] = _mm256_add_epi64(acc[u], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i + 4 * u)));
  for (int u = 1; u < 8; ++u) acc[0] = _mm256_add_epi64(acc[0], acc[u]);
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc[0]);
  uint64_t s = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  for (; i < n; ++i) s += w[i];
  return s;
}

}  // namespace t2::tensor::fast::avx2
T2_TARGET_END

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

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  const VecKernels* vk = vec_kernels(cpu_isa());
  // Blocks of whole 16-element groups, so that a block boundary never splits a vector.
  const int64_t n_groups = (n + 15) / 16;
  for_blocks(n_groups, n, [&](int64_t b0, int64_t b1) {
    const int64_t i0 = 16 * b0, i1 = std::min(n, 16 * b1);
    if (vk != nullptr) {
      vk->silu_mul(gate + i0, up + i0, out + i0, i1 - i0);
      return;
    }
    for (int64_t i = i0; i < i1; ++i) {
      const float g = gate[i];
      out[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
  });
}

void log_softmax(const float* x, float* y, int64_t n, int64_t d) {
  const VecKernels* vk = vec_kernels(cpu_isa());
  for_blocks(n, n * d, [&](int64_t i0, int64_t i1) {
    if (vk != nullptr) {
      vk->log_softmax(x, y, d, i0, i1);
      return;
    }
    for (int64_t i = i0; i < i1; ++i) {
      const float* xr = x + i * d;
      float* yr = y + i * d;
      float mx = -INFINITY;
      for (int64_t j = 0; j < d; ++j) mx = std::max(mx, xr[j]);
      double sum = 0.0;
      for (int64_t j = 0; j < d; ++j) sum += std::exp(double(xr[j]) - mx);
      const float log_sum = static_cast<float>(std::log(sum));
      for (int64_t t = 0; t < d; ++t) yr[t] = (xr[t] - mx) - log_sum;
    }
  });
}

void embedding(const void* table, DType dtype, const int32_t* ids, float* out, int64_t n, int64_t d) {
  size_t row_bytes = static_cast<size_t>(d) * dtype_size(dtype);
  for (int64_t i = 0; i < n; ++i)
    convert_to_f32(static_cast<const char*>(table) + static_cast<size_t>(ids[i]) * row_bytes, dtype,
                   out + i * d, static_cast<size_t>(d));
}

uint64_t read_sum(const void* data, int64_t bytes) {
  const uint64_t* w = static_cast<const uint64_t*>(data);
  const int64_t n = bytes / 8, per = int64_t(1) << 17;  // 1 MiB chunks over the worker pool
  const bool avx2 = cpu_isa() >= CpuIsa::avx2;
  std::vector<uint64_t> part(size_t((n + per - 1) / per));
  uint64_t* parts = part.data();  // workers write through the plain pointer
  auto chunk = [&](int64_t c) {
    const int64_t i0 = c * per, len = std::min(per, n - i0);
    uint64_t s[4] = {0, 0, 0, 0};  // generic level: four independent chains
    int64_t i = 0;
    if (avx2) {
      s[0] = avx2::sum_words(w + i0, len);
      i = len;
    }
    for (; i + 4 <= len; i += 4)
      for (int u = 0; u < 4; ++u) s[u] += w[i0 + i + u];
    for (; i < len; ++i) s[0] += w[i0 + i];
    parts[c] = s[0] + s[1] + s[2] + s[3];
  };
  parallel_chunks(int64_t(part.size()), chunk);
  uint64_t total = 0;
  for (uint64_t v : part) total += v;
  return total;
}

void add(const float* a, const float* b, float* y, int64_t n) {
  for_blocks(n, n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) y[i] = a[i] + b[i];
  });
}

}  // namespace t2::tensor::fast
