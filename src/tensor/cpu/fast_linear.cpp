// Fast linear: y[n, m] = x[n, k] · W[m, k]ᵀ. Chooses a kernel by weight dtype and batch size,
// prepares the activations once (bf16 rounding, padding, AMX packing), and hands chunks of weight
// rows to the kernel worker pool; each chunk of W is streamed by one thread.
//   bf16, n >= kAmxMinRows, k % 32 == 0, AMX usable → AMX tiles (batched decode, prefill)
//   bf16 otherwise                                → AVX512-BF16 dot kernel (single-sequence decode)
//   f32 / f16, n >= kGemmMinRows                  → packed-panel f32 GEMM (AVX-512)
//   f32 / f16 otherwise                           → AVX-512 f32 FMA dot kernel
// OpenBLAS sgemm was measured and not used: on this VM it detects the CPU as "Prescott" and runs
// SSE3 kernels (~25 GFLOP/s per core), far below the GEMM kernel here.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "tensor/cpu/fast.h"
#include "tensor/cpu/linear_kernels.h"
#include "tensor/cpu/thread_pool.h"

namespace t2::tensor::fast {

namespace {

// Measured on Sapphire Rapids: from n = 2 AMX streams W at least as fast as the dot kernel, and
// 2-3x faster from n = 8 (the dot kernel turns compute-bound); at n = 1 the dot kernel wins.
constexpr int64_t kAmxMinRows = 2;
constexpr int64_t kGemmMinRows = 8;

int64_t round_up(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

// Calls fn(m0, m1) over [0, m) in chunks of about `chunk` rows (bounds multiples of `align`,
// except the end), spread over the kernel worker pool (cpu/thread_pool.h): a thread that the OS
// deschedules on a busy machine delays the call by one chunk at most, not by half the matrix. Each
// output row is computed by one thread in a fixed order (results do not depend on the threads).
template <typename Fn>
void split_rows(int64_t m, int64_t align, int64_t work_per_row, int64_t chunk, const Fn& fn) {
  if (m * work_per_row < kParallelMinWork || m < 2 * align || pool_threads() == 1) {
    fn(0, m);
    return;
  }
  chunk = round_up(std::max(chunk, align), align);
  parallel_chunks((m + chunk - 1) / chunk,
                  [&](int64_t c) { fn(c * chunk, std::min(m, (c + 1) * chunk)); });
}

// Rows per chunk so that a chunk streams about `bytes` of weights.
int64_t chunk_rows(int64_t k, size_t elem, int64_t bytes) {
  return std::max<int64_t>(1, bytes / (k * int64_t(elem)));
}

// x[n, k] f32 → xb[n, kp] bf16 (round to nearest even), zero padding to kp.
void to_bf16_padded(const float* x, int64_t n, int64_t k, int64_t kp, uint16_t* xb) {
  for (int64_t i = 0; i < n; ++i) {
    const float* src = x + i * k;
    uint16_t* dst = xb + i * kp;
    int64_t j = 0;
#if defined(__AVX512BF16__)
    for (; j + 16 <= k; j += 16) {
      __m256bh v = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + j));
      std::memcpy(dst + j, &v, 32);
    }
#endif
    for (; j < k; ++j) dst[j] = f32_to_bf16(src[j]);
    for (; j < kp; ++j) dst[j] = 0;
  }
}

void linear_bf16(const float* x, const uint16_t* w, float* y, int64_t n, int64_t m, int64_t k,
                 bool acc) {
  // Scratch of the calling thread. Worker threads must reach it through the plain pointers below:
  // naming a thread_local inside the parallel region would give each worker its own empty copy.
  static thread_local std::vector<uint16_t> xb_buf, packed_buf;
  const bool amx = n >= kAmxMinRows && k % 32 == 0 && m >= 16 && detail::amx_available();
  const int64_t kp = round_up(k, 32);
  xb_buf.resize(size_t(n * kp));
  const uint16_t* xb = xb_buf.data();
  to_bf16_padded(x, n, k, kp, xb_buf.data());
  if (!amx) {
    split_rows(m, 16, n * k, chunk_rows(k, 2, 256 << 10), [&](int64_t m0, int64_t m1) {
      detail::linear_dot_bf16(xb, kp, w, y, n, m, k, m0, m1, acc);
    });
    return;
  }
  packed_buf.resize(size_t(round_up(n, 16) * k));
  const uint16_t* packed = packed_buf.data();
  detail::amx_pack_x(xb, n, k, packed_buf.data());
  const int64_t m_tiles = m / 16 * 16;
  // Chunks of one AMX weight panel (~1 MiB, see linear_amx.cpp).
  split_rows(m_tiles, 32, n * k, chunk_rows(k, 2, 1 << 20), [&](int64_t m0, int64_t m1) {
    detail::linear_amx_bf16(packed, w, y, n, m, k, m0, m1, acc);
  });
  if (m_tiles < m) detail::linear_dot_bf16(xb, kp, w, y, n, m, k, m_tiles, m, acc);
}

void linear_f32_dot(const float* x, const void* w, DType dt, float* y, int64_t n, int64_t m,
                    int64_t k, bool acc) {
  static thread_local std::vector<float> xf_buf;  // see linear_bf16 on thread_local scratch
  const int64_t kp = round_up(k, 16);
  xf_buf.assign(size_t(n * kp), 0.0f);
  for (int64_t i = 0; i < n; ++i) std::memcpy(xf_buf.data() + i * kp, x + i * k, size_t(k) * 4);
  const float* xf = xf_buf.data();
  split_rows(m, 16, n * k, chunk_rows(k, dtype_size(dt), 256 << 10), [&](int64_t m0, int64_t m1) {
    detail::linear_dot_f32(xf, kp, w, dt, y, n, m, k, m0, m1, acc);
  });
}

}  // namespace

void linear(const float* x, const void* w, DType w_dtype, float* y, int64_t n, int64_t m, int64_t k,
            bool accumulate) {
  if (k == 0) {  // empty sums
    if (!accumulate) std::fill(y, y + n * m, 0.0f);
    return;
  }
  switch (w_dtype) {
    case DType::bf16:
      linear_bf16(x, static_cast<const uint16_t*>(w), y, n, m, k, accumulate);
      return;
    case DType::f32:
    case DType::f16:
      if (n >= kGemmMinRows && detail::have_gemm_f32()) {
        const int64_t chunk = chunk_rows(k, dtype_size(w_dtype), 1 << 20);
        split_rows(m, 32, n * k, chunk, [&](int64_t m0, int64_t m1) {
          detail::linear_gemm_f32(x, w, w_dtype, y, n, m, k, m0, m1, accumulate);
        });
        return;
      }
      linear_f32_dot(x, w, w_dtype, y, n, m, k, accumulate);
      return;
  }
}

}  // namespace t2::tensor::fast
