// Device memory bandwidth probe for the device check and `t2 bench`: a grid-stride copy with
// 16-byte accesses, timed with CUDA events. The figure is the roofline's denominator for the
// decode target (weight bytes ÷ bandwidth).
#include <algorithm>

#include "cuda/buffer.h"
#include "cuda/check.h"
#include "cuda/kernels.h"

namespace t2::cuda {

namespace {

__global__ void copy_kernel(const int4* __restrict__ src, int4* __restrict__ dst, long long n) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    dst[i] = src[i];
}

}  // namespace

double copy_bandwidth_gbs(size_t bytes, int repeats) {
  const long long n = static_cast<long long>(bytes / sizeof(int4));
  DeviceBuffer src(static_cast<size_t>(n) * sizeof(int4), "bandwidth probe source");
  DeviceBuffer dst(static_cast<size_t>(n) * sizeof(int4), "bandwidth probe destination");
  T2_CUDA_CHECK(cudaMemset(src.get(), 1, src.bytes()));
  int dev = 0, sms = 0;
  T2_CUDA_CHECK(cudaGetDevice(&dev));
  T2_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  const unsigned grid = static_cast<unsigned>(sms * 8);
  cudaEvent_t a, b;
  T2_CUDA_CHECK(cudaEventCreate(&a));
  T2_CUDA_CHECK(cudaEventCreate(&b));
  float best_ms = 1e30f;
  for (int r = 0; r <= repeats; ++r) {
    T2_CUDA_CHECK(cudaEventRecord(a));
    copy_kernel<<<grid, 512>>>(src.as<int4>(), dst.as<int4>(), n);
    T2_CUDA_CHECK_LAUNCH();
    T2_CUDA_CHECK(cudaEventRecord(b));
    T2_CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    T2_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    if (r > 0) best_ms = std::min(best_ms, ms);  // run 0 warms up
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return 2.0 * static_cast<double>(n) * sizeof(int4) / (best_ms * 1e-3) / 1e9;
}

}  // namespace t2::cuda
