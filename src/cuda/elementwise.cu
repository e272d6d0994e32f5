// Element-wise device kernels of the forward pass: SwiGLU's silu(gate) · up, the residual add, and
// dtype conversions of activations (f32 ↔ bf16/f16) around the tensor-core products.
#include "cuda/check.h"
#include "cuda/dtype.cuh"
#include "cuda/kernels.h"

namespace t2::cuda {

namespace {

#define T2_GRID_STRIDE(i, n)                                                                  \
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<long long>(gridDim.x) * blockDim.x)

__global__ void silu_mul_kernel(const float* gate, const float* up, float* out, long long n) {
  T2_GRID_STRIDE(i, n) {
    const float g = gate[i];
    out[i] = g / (1.0f + expf(-g)) * up[i];
  }
}

__global__ void add_kernel(const float* a, const float* b, float* y, long long n) {
  T2_GRID_STRIDE(i, n) y[i] = a[i] + b[i];
}

template <typename T>
__global__ void from_f32_kernel(const float* x, T* y, long long n) {
  T2_GRID_STRIDE(i, n) store_f32(y, i, x[i]);
}

template <typename T>
__global__ void to_f32_kernel(const T* x, float* y, long long n) {
  T2_GRID_STRIDE(i, n) y[i] = load_f32(x, i);
}

}  // namespace

void silu_mul(const float* gate, const float* up, float* out, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  silu_mul_kernel<<<grid_for(n, 256), 256, 0, stream>>>(gate, up, out, n);
  T2_CUDA_CHECK_LAUNCH();
}

void add(const float* a, const float* b, float* y, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  add_kernel<<<grid_for(n, 256), 256, 0, stream>>>(a, b, y, n);
  T2_CUDA_CHECK_LAUNCH();
}

void convert_from_f32(const float* x, void* y, DType dtype, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  dispatch_dtype(dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    from_f32_kernel<T><<<grid_for(n, 256), 256, 0, stream>>>(x, static_cast<T*>(y), n);
  });
  T2_CUDA_CHECK_LAUNCH();
}

void convert_to_f32(const void* x, DType dtype, float* y, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  dispatch_dtype(dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    to_f32_kernel<T><<<grid_for(n, 256), 256, 0, stream>>>(static_cast<const T*>(x), y, n);
  });
  T2_CUDA_CHECK_LAUNCH();
}

}  // namespace t2::cuda
