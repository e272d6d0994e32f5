// RMSNorm on the device: one block per row, the sum of squares in f64 like the CPU reference.
#include "cuda/check.h"
#include "cuda/dtype.cuh"
#include "cuda/kernels.h"

namespace t2::cuda {

namespace {

__global__ void rms_norm_kernel(const float* x, const float* w, float* y, long long d, float eps) {
  __shared__ double scratch[32];
  const long long row = blockIdx.x;
  const float* xr = x + row * d;
  double ss = 0.0;
  for (long long j = threadIdx.x; j < d; j += blockDim.x) ss += double(xr[j]) * double(xr[j]);
  ss = block_reduce(ss, scratch, SumOp{});
  const float inv = static_cast<float>(1.0 / sqrt(ss / double(d) + double(eps)));
  for (long long j = threadIdx.x; j < d; j += blockDim.x) y[row * d + j] = xr[j] * inv * w[j];
}

}  // namespace

void rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t d, float eps,
              cudaStream_t stream) {
  if (n == 0) return;
  rms_norm_kernel<<<static_cast<unsigned>(n), 256, 0, stream>>>(x, weight, y, d, eps);
  T2_CUDA_CHECK_LAUNCH();
}

}  // namespace t2::cuda
