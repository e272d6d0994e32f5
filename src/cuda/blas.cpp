// cuBLAS products of the device engine (see blas.h). Row-major y[n, m] = x[n, k] · W[m, k]ᵀ is the
// column-major product Yᶜ[m, n] = Wᶜᵀ · Xᶜ, so every call is GemmEx(T, N, m, n, k) on the
// row-major buffers as they are.
#include "cuda/blas.h"

#include "base/error.h"
#include "cuda/check.h"
#include "cuda/kernels.h"

namespace t2::cuda {

namespace {

cudaDataType_t cuda_type(DType d) {
  switch (d) {
    case DType::f32: return CUDA_R_32F;
    case DType::bf16: return CUDA_R_16BF;
    case DType::f16: return CUDA_R_16F;
  }
  return CUDA_R_32F;
}

}  // namespace

Blas::Blas(cudaStream_t stream) : stream_(stream) {
  T2_CUBLAS_CHECK(cublasCreate(&handle_));
  T2_CUBLAS_CHECK(cublasSetStream(handle_, stream_));
  // Plain f32 products for f32 weights (no TF32 rounding of their inputs).
  T2_CUBLAS_CHECK(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH));
}

Blas::~Blas() {
  if (handle_) cublasDestroy(handle_);
}

void Blas::linear(const float* x, const void* w, DType w_dtype, float* y, int64_t n, int64_t m,
                  int64_t k) {
  if (n == 0 || m == 0) return;
  const float alpha = 1.0f, beta = 0.0f;
  const void* xin = x;
  if (w_dtype != DType::f32) {
    x_cast_.reserve(static_cast<size_t>(n * k) * tensor::dtype_size(w_dtype), "activations in the weight dtype");
    convert_from_f32(x, x_cast_.get(), w_dtype, n * k, stream_);
    xin = x_cast_.get();
  }
  T2_CUBLAS_CHECK(cublasGemmEx(handle_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(m),
                               static_cast<int>(n), static_cast<int>(k), &alpha, w,
                               cuda_type(w_dtype), static_cast<int>(k), xin, cuda_type(w_dtype),
                               static_cast<int>(k), &beta, y, CUDA_R_32F, static_cast<int>(m),
                               CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

void Blas::compose_dense(const float* u, const float* e, const float* vt, void* w, DType w_dtype,
                         int64_t m, int64_t k, int64_t r) {
  // Us[m, r] = U · diag(e) in f32 (tmp_ holds Us then W' in f32).
  const size_t us_bytes = static_cast<size_t>(m * r) * sizeof(float);
  const size_t w_bytes = static_cast<size_t>(m * k) * sizeof(float);
  tmp_.reserve(us_bytes + w_bytes, "SVF composition scratch");
  float* us = tmp_.as<float>();
  float* wf = us + m * r;
  scale_columns(u, e, us, DType::f32, m, r, stream_);
  // Row-major W'[m, k] = Us[m, r] · Vt[r, k]  ⇔  column-major W'ᶜ[k, m] = Vtᶜ[k, r] · Usᶜ[r, m].
  const float alpha = 1.0f, beta = 0.0f;
  T2_CUBLAS_CHECK(cublasGemmEx(handle_, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(k),
                               static_cast<int>(m), static_cast<int>(r), &alpha, vt, CUDA_R_32F,
                               static_cast<int>(k), us, CUDA_R_32F, static_cast<int>(r), &beta, wf,
                               CUDA_R_32F, static_cast<int>(k), CUBLAS_COMPUTE_32F,
                               CUBLAS_GEMM_DEFAULT));
  convert_from_f32(wf, w, w_dtype, m * k, stream_);
}

void Blas::factored(const float* x, const void* u, const void* vt, DType f_dtype,
                    const float* scales, const int32_t* row_scale, float* y, int64_t n, int64_t m,
                    int64_t k, int64_t r) {
  if (n == 0) return;
  // t_ is reused by the next call on the same stream, which runs after this one: no sync needed.
  float* t = static_cast<float*>(t_.get());
  if (t_.bytes() < static_cast<size_t>(n * r) * sizeof(float)) {
    T2_CUDA_CHECK(cudaStreamSynchronize(stream_));  // the old scratch may still be read
    t_.reserve(static_cast<size_t>(n * r) * sizeof(float), "SVF factored-path scratch");
    t = t_.as<float>();
  }
  linear(x, vt, f_dtype, t, n, r, k);  // t[n, r] = x · (Vᵀ)ᵀ
  scale_rows(t, row_scale, scales, n, r, stream_);
  linear(t, u, f_dtype, y, n, m, r);   // y[n, m] = t · Uᵀ
}

}  // namespace t2::cuda
