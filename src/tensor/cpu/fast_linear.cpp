// Fast linear: y[n, m] = x[n, k] · W[m, k]ᵀ. Chooses a kernel by weight dtype, batch size and the
// kernel level (cpu/isa.h), prepares the activations once (bf16 rounding, padding, AMX packing),
// and hands chunks of weight rows to the kernel worker pool; each chunk of W is streamed by one
// thread.
//   bf16, amx level, n >= kAmxMinRows, k % 32 == 0 → AMX tiles (batched decode, prefill)
//   bf16, avx512bf16 level and up                  → vdpbf16ps dot kernel (any n)
//   any dtype, avx2 / avx512, n >= gemm_min_rows() → packed-panel GEMM with f32 FMAs
//   any dtype, avx2 / avx512, smaller n            → dot kernel with f32 FMAs
//   any dtype, generic level                       → plain loops
// For bf16 weights every level multiplies the bf16-rounded x (so they differ only in the order of
// f32 sums); f32 and f16 weights use x as is.
// OpenBLAS sgemm was measured and not used: on this VM it detects the CPU as "Prescott" and runs
// SSE3 kernels (~25 GFLOP/s per core), far below the GEMM kernel here.
#include <algorithm>
#include <cstdint>  // INT64_MAX
#include <cstring>
#include <vector>

#include "tensor/cpu/fast.h"
#include "tensor/cpu/isa.h"
#include "tensor/cpu/linear_kernels.h"
#include "tensor/cpu/thread_pool.h"
#include "tensor/cpu/vec_kernels.h"

namespace t2::tensor::fast {

namespace {

// Measured on Sapphire Rapids: from n = 2 AMX streams W at least as fast as the dot kernel, and
// 2-3x faster from n = 8 (the dot kernel turns compute-bound); at n = 1 the dot kernel wins.
constexpr int64_t kAmxMinRows = 2;

// Batch size from which the f32-product GEMM beats the dot kernel (docs/tensor.md, measured per
// CPU-second on one Sapphire Rapids core, 4096 × 2048 weights): with AVX-512 the dot kernel won
// at every n for bf16 weights (85-96 against 49-91 GFLOP/s: widening bf16 on load is cheaper than
// transposing the panels) and up to n ≈ 64 for f32 weights (at 512: 67 against 94); with AVX2 the
// GEMM wins from n ≈ 32 (at 48: 63 against 49).
int64_t gemm_min_rows(CpuIsa isa, DType dt) {
  if (isa >= CpuIsa::avx512) return dt == DType::bf16 ? INT64_MAX : 64;
  return 32;
}

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
    convert_from_f32(x + i * k, DType::bf16, xb + i * kp, size_t(k));
    std::fill(xb + i * kp + k, xb + (i + 1) * kp, uint16_t(0));
  }
}

// x[n, k] → xf[n, kp] f32, zero padding to kp; with `round_bf16` each value rounded to bf16 first
// (through the bulk converters, which are vectorised).
void to_f32_padded(const float* x, int64_t n, int64_t k, int64_t kp, bool round_bf16, float* xf) {
  static thread_local std::vector<uint16_t> row;
  if (round_bf16) row.resize(size_t(k));
  for (int64_t i = 0; i < n; ++i) {
    float* dst = xf + i * kp;
    if (round_bf16) {
      convert_from_f32(x + i * k, DType::bf16, row.data(), size_t(k));
      convert_to_f32(row.data(), DType::bf16, dst, size_t(k));
    } else {
      std::memcpy(dst, x + i * k, size_t(k) * sizeof(float));
    }
    std::fill(dst + k, dst + kp, 0.0f);
  }
}

// The generic level: per output, f32 sums in 8 interleaved lanes (the compiler vectorises this
// at the baseline it has). x is padded to kp (a multiple of 8).
void dot_generic(const float* xf, int64_t kp, const void* w, DType dt, float* y, int64_t n,
                 int64_t m, int64_t k, int64_t m0, int64_t m1, bool acc) {
  std::vector<float> row(size_t(kp), 0.0f);
  for (int64_t o = m0; o < m1; ++o) {
    convert_to_f32(static_cast<const char*>(w) + size_t(o * k) * dtype_size(dt), dt, row.data(), size_t(k));
    for (int64_t i = 0; i < n; ++i) {
      const float* xr = xf + i * kp;
      float lanes[8] = {};
      for (int64_t j = 0; j < kp; j += 8)
        for (int l = 0; l < 8; ++l) lanes[l] += xr[j + l] * row[size_t(j + l)];
      float s = 0.0f;
      for (float v : lanes) s += v;
      y[i * m + o] = acc ? y[i * m + o] + s : s;
    }
  }
}

enum class Kernel { amx, dot_bf16, gemm, dot, generic };

// The one place that decides which kernel runs (linear() and linear_kernel_name() ask it).
Kernel choose(DType dt, int64_t n, int64_t m, int64_t k, CpuIsa isa) {
  if (dt == DType::bf16 && isa >= CpuIsa::amx && n >= kAmxMinRows && k % 32 == 0 && m >= 16)
    return Kernel::amx;
  if (dt == DType::bf16 && isa >= CpuIsa::avx512bf16) return Kernel::dot_bf16;
  if (isa < CpuIsa::avx2) return Kernel::generic;
  return n >= gemm_min_rows(isa, dt) ? Kernel::gemm : Kernel::dot;
}

// bf16 weights with the bf16 kernels: x rounded to bf16 for vdpbf16ps / AMX.
void linear_bf16_native(const float* x, const uint16_t* w, float* y, int64_t n, int64_t m,
                        int64_t k, bool acc, bool use_amx) {
  // Scratch of the calling thread. Worker threads must reach it through the plain pointers below:
  // naming a thread_local inside the parallel region would give each worker its own empty copy.
  static thread_local std::vector<uint16_t> xb_buf, packed_buf;
  const int64_t kp = round_up(k, 32);
  xb_buf.resize(size_t(n * kp));
  const uint16_t* xb = xb_buf.data();
  to_bf16_padded(x, n, k, kp, xb_buf.data());
  if (!use_amx) {
    split_rows(m, 16, n * k, chunk_rows(k, 2, 256 << 10), [&](int64_t m0, int64_t m1) {
      avx512bf16::linear_dot_bf16(xb, kp, w, y, n, m, k, m0, m1, acc);
    });
    return;
  }
  packed_buf.resize(size_t(round_up(n, 16) * k));
  const uint16_t* packed = packed_buf.data();
  amx::pack_x(xb, n, k, packed_buf.data());
  const int64_t m_tiles = m / 16 * 16;
  // Chunks of one AMX weight panel (~1 MiB, see linear_amx.cpp).
  split_rows(m_tiles, 32, n * k, chunk_rows(k, 2, 1 << 20), [&](int64_t m0, int64_t m1) {
    amx::linear_bf16(packed, w, y, n, m, k, m0, m1, acc);
  });
  if (m_tiles < m) avx512bf16::linear_dot_bf16(xb, kp, w, y, n, m, k, m_tiles, m, acc);
}

// Every dtype with f32 products: the vector kernels of the level (GEMM or dot), or the generic
// loops when vk is null.
void linear_f32_products(const float* x, const void* w, DType dt, float* y, int64_t n, int64_t m,
                         int64_t k, bool acc, bool gemm, const VecKernels* vk) {
  static thread_local std::vector<float> xf_buf;  // see linear_bf16_native on thread_local scratch
  const bool round_x = dt == DType::bf16;
  const size_t elem = dtype_size(dt);
  if (gemm) {
    const float* xs = x;
    if (round_x) {
      xf_buf.resize(size_t(n * k));
      to_f32_padded(x, n, k, k, true, xf_buf.data());
      xs = xf_buf.data();
    }
    split_rows(m, 32, n * k, chunk_rows(k, elem, 1 << 20), [&](int64_t m0, int64_t m1) {
      vk->linear_gemm(xs, k, w, dt, y, n, m, k, m0, m1, acc);
    });
    return;
  }
  const int64_t kp = round_up(k, 16);
  xf_buf.resize(size_t(n * kp));
  to_f32_padded(x, n, k, kp, round_x, xf_buf.data());
  const float* xf = xf_buf.data();
  split_rows(m, 16, n * k, chunk_rows(k, elem, 256 << 10), [&](int64_t m0, int64_t m1) {
    if (vk != nullptr)
      vk->linear_dot(xf, kp, w, dt, y, n, m, k, m0, m1, acc);
    else
      dot_generic(xf, kp, w, dt, y, n, m, k, m0, m1, acc);
  });
}

}  // namespace

void linear(const float* x, const void* w, DType w_dtype, float* y, int64_t n, int64_t m, int64_t k,
            bool accumulate) {
  if (k == 0) {  // empty sums
    if (!accumulate) std::fill(y, y + n * m, 0.0f);
    return;
  }
  const CpuIsa isa = cpu_isa();
  const Kernel kernel = choose(w_dtype, n, m, k, isa);
  if (kernel == Kernel::amx || kernel == Kernel::dot_bf16)
    linear_bf16_native(x, static_cast<const uint16_t*>(w), y, n, m, k, accumulate, kernel == Kernel::amx);
  else
    linear_f32_products(x, w, w_dtype, y, n, m, k, accumulate, kernel == Kernel::gemm, vec_kernels(isa));
}

const char* linear_kernel_name(DType w_dtype, int64_t n, int64_t m, int64_t k) {
  const CpuIsa isa = cpu_isa();
  switch (choose(w_dtype, n, m, k, isa)) {
    case Kernel::amx: return "amx tiles";
    case Kernel::dot_bf16: return "avx512bf16 dot";
    case Kernel::gemm: return isa >= CpuIsa::avx512 ? "avx512 gemm" : "avx2 gemm";
    case Kernel::dot: return isa >= CpuIsa::avx512 ? "avx512 dot" : "avx2 dot";
    case Kernel::generic: return "generic dot";
  }
  return "unknown";
}

}  // namespace t2::tensor::fast
