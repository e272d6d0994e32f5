// Matrix products on the device through cuBLAS: the projections and the head (y = x · Wᵀ with
// row-major nn.Linear weights in bf16, f16 or f32), and SVF's dense composition
// W' = U · diag(e) · Vᵀ and factored path y = U · (e_row ⊙ (Vᵀ x)). Activations are f32; for bf16 /
// f16 weights x is rounded to the weight dtype and products accumulate in f32 on the tensor cores
// (the CPU fast path's numerics); f32 weights multiply in plain f32 (no TF32). One Blas per
// RunContext-sized user: it owns the cuBLAS handle, its stream and the scratch for converted
// activations, and is not thread-safe.
#pragma once

#include <cstdint>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "cuda/buffer.h"
#include "tensor/dtype.h"

namespace t2::cuda {

using tensor::DType;

class Blas {
 public:
  explicit Blas(cudaStream_t stream);
  ~Blas();
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;

  cudaStream_t stream() const { return stream_; }

  // y[n, m] f32 = x[n, k] f32 · W[m, k]ᵀ (W of w_dtype, row-major). All device pointers.
  void linear(const float* x, const void* w, DType w_dtype, float* y, int64_t n, int64_t m,
              int64_t k);

  // W'[m, k] (w_dtype) = U[m, r] · diag(e[r]) · Vᵀ[r, k], all f32 inputs on the device; composed in
  // f32 and rounded once to w_dtype, like svf::compose_dense followed by the engine's storage.
  void compose_dense(const float* u, const float* e, const float* vt, void* w, DType w_dtype,
                     int64_t m, int64_t k, int64_t r);

  // y[n, m] = U[m, r] · (scales[row_scale[i]] ⊙ (Vᵀ[r, k] · x[i])) for each row i: the factored
  // path with a scaling row per batch row (U, Vᵀ in f_dtype; scales [n_scales, r] f32).
  void factored(const float* x, const void* u, const void* vt, DType f_dtype, const float* scales,
                const int32_t* row_scale, float* y, int64_t n, int64_t m, int64_t k, int64_t r);

 private:
  cudaStream_t stream_;
  cublasHandle_t handle_ = nullptr;
  DeviceBuffer x_cast_;   // [n, k] x in the weight dtype
  DeviceBuffer tmp_;      // [m, r] + [m, k] f32 composition scratch
  DeviceBuffer t_;        // [n, r] factored path's Vᵀ x
};

}  // namespace t2::cuda
