// Rotary position embedding on the device, rotate-half layout (Hugging Face Llama): angle in f32,
// trigonometry in f64, as the CPU reference. One thread per (row, head, pair).
#include "cuda/check.h"
#include "cuda/dtype.cuh"
#include "cuda/kernels.h"

namespace t2::cuda {

namespace {

__global__ void rope_kernel(float* x, const int32_t* pos, const float* inv_freq, long long n,
                            long long n_head, long long half) {
  const long long total = n * n_head * half;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long j = i % half, rh = i / half, row = rh / n_head;
    float* v = x + rh * 2 * half;
    const float angle = static_cast<float>(pos[row]) * inv_freq[j];
    double s, c;
    sincos(static_cast<double>(angle), &s, &c);
    const double x1 = v[j], x2 = v[j + half];
    v[j] = static_cast<float>(x1 * c - x2 * s);
    v[j + half] = static_cast<float>(x2 * c + x1 * s);
  }
}

}  // namespace

void rope(float* x, const int32_t* pos, const float* inv_freq, int64_t n, int64_t n_head,
          int64_t head_dim, cudaStream_t stream) {
  const long long total = n * n_head * (head_dim / 2);
  if (total == 0) return;
  rope_kernel<<<grid_for(total, 256), 256, 0, stream>>>(x, pos, inv_freq, n, n_head, head_dim / 2);
  T2_CUDA_CHECK_LAUNCH();
}

}  // namespace t2::cuda
