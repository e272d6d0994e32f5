// The kernels written once against a vector type (cpu/attention_vec.inc, cpu/elementwise_vec.inc,
// cpu/linear_vec.inc), as one table per vector level: cpu/vec_avx512.cpp compiles them for
// AVX-512 (16 lanes), cpu/vec_avx2.cpp for AVX2 (8 lanes). The fast_*.cpp dispatchers pick the
// table of the current level (cpu/isa.h). Contracts as in cpu/fast.h; no argument checks.
#pragma once

#include <cstdint>

#include "tensor/cpu/isa.h"
#include "tensor/dtype.h"

namespace t2::tensor::fast {

struct VecKernels {
  CpuIsa level;  // avx512 or avx2
  int lanes;     // 16 or 8

  // attention_cached of cpu/fast.h (head_dim ≤ 256).
  void (*attention_cached)(const float* q, const void* kt, const void* v, bool bf16, int64_t ldk,
                           int64_t v_cap, float* out, int64_t n_q, int64_t q_pos0, int64_t n_head,
                           int64_t n_kv_head, int64_t head_dim, float scale);
  // out[0, n) = silu(gate) · up.
  void (*silu_mul)(const float* gate, const float* up, float* out, int64_t n);
  // Rows [i0, i1) of y[n, d] = x − logsumexp(x).
  void (*log_softmax)(const float* x, float* y, int64_t d, int64_t i0, int64_t i1);
  // Rows [m0, m1) of y[n, m] (+)= x[n, kp] · W[m, k]ᵀ, W f32/f16/bf16, x f32 rows zero-padded to
  // kp (a multiple of 16); dot kernel, W streamed once per tile of activation rows.
  void (*linear_dot)(const float* x, int64_t kp, const void* w, DType w_dtype, float* y, int64_t n,
                     int64_t m, int64_t k, int64_t m0, int64_t m1, bool accumulate);
  // The same by packed-panel GEMM for prefill-sized n; x rows are ldx apart (ldx ≥ k).
  void (*linear_gemm)(const float* x, int64_t ldx, const void* w, DType w_dtype, float* y,
                      int64_t n, int64_t m, int64_t k, int64_t m0, int64_t m1, bool accumulate);
};

namespace avx512 {
extern const VecKernels kVecKernels;
}
namespace avx2 {
extern const VecKernels kVecKernels;
}

// The table for `isa`: AVX-512's from avx512 up, AVX2's for avx2, nullptr for generic.
inline const VecKernels* vec_kernels(CpuIsa isa) {
  if (isa >= CpuIsa::avx512) return &avx512::kVecKernels;
  if (isa >= CpuIsa::avx2) return &avx2::kVecKernels;
  return nullptr;
}

}  // namespace t2::tensor::fast
