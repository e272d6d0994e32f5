// The element-wise steps of SVF on the device: U scaled by the effective singular values (the
// dense composition's left factor, stored in the weight dtype for the tensor-core product), the
// per-row scaling of the factored path (each row of Vᵀx by its own sequence's e), and the row
// gather / scatter that groups a batch's rows by what serves them (cuda/device_overrides.h).
#include "cuda/check.h"
#include "cuda/dtype.cuh"
#include "cuda/kernels.h"

namespace t2::cuda {

namespace {

template <typename T>
__global__ void scale_columns_kernel(const float* u, const float* e, T* out, long long rows, long long r) {
  const long long total = rows * r;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    store_f32(out, i, u[i] * e[i % r]);
}

__global__ void scale_rows_kernel(float* t, const int32_t* row_scale, const float* scales,
                                  long long n, long long r) {
  const long long total = n * r;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    t[i] *= scales[static_cast<long long>(row_scale[i / r]) * r + i % r];
}

__global__ void gather_rows_kernel(const float* x, const int32_t* idx, float* out, long long n,
                                   long long width) {
  const long long total = n * width;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    out[i] = x[static_cast<long long>(idx[i / width]) * width + i % width];
}

__global__ void scatter_rows_kernel(const float* in, const int32_t* idx, float* y, long long n,
                                    long long width) {
  const long long total = n * width;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    y[static_cast<long long>(idx[i / width]) * width + i % width] = in[i];
}

}  // namespace

void gather_rows(const float* x, const int32_t* idx, float* out, int64_t n, int64_t width,
                 cudaStream_t stream) {
  if (n * width == 0) return;
  gather_rows_kernel<<<grid_for(n * width, 256), 256, 0, stream>>>(x, idx, out, n, width);
  T2_CUDA_CHECK_LAUNCH();
}

void scatter_rows(const float* in, const int32_t* idx, float* y, int64_t n, int64_t width,
                  cudaStream_t stream) {
  if (n * width == 0) return;
  scatter_rows_kernel<<<grid_for(n * width, 256), 256, 0, stream>>>(in, idx, y, n, width);
  T2_CUDA_CHECK_LAUNCH();
}

void scale_columns(const float* u, const float* e, void* out, DType dtype, int64_t rows, int64_t r,
                   cudaStream_t stream) {
  if (rows * r == 0) return;
  dispatch_dtype(dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    scale_columns_kernel<T><<<grid_for(rows * r, 256), 256, 0, stream>>>(u, e, static_cast<T*>(out),
                                                                         rows, r);
  });
  T2_CUDA_CHECK_LAUNCH();
}

void scale_rows(float* t, const int32_t* row_scale, const float* scales, int64_t n, int64_t r,
                cudaStream_t stream) {
  if (n * r == 0) return;
  scale_rows_kernel<<<grid_for(n * r, 256), 256, 0, stream>>>(t, row_scale, scales, n, r);
  T2_CUDA_CHECK_LAUNCH();
}

}  // namespace t2::cuda
