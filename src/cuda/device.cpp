// Device discovery and per-rank selection (see device.h).
#include "cuda/device.h"

#include <cuda_runtime.h>

#include <cstdlib>
#include <initializer_list>

#include "base/error.h"
#include "cuda/check.h"

namespace t2::cuda {

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky status of a missing driver/device
    return 0;
  }
  return n;
}

int launcher_local_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID",
                        "PMI_LOCAL_RANK", "MV2_COMM_WORLD_LOCAL_RANK"})
    if (const char* s = std::getenv(v); s && *s) return std::atoi(s);
  return 0;
}

int select_rank_device() {
  int n = 0;
  const cudaError_t st = cudaGetDeviceCount(&n);
  if (st != cudaSuccess || n == 0) {
    cudaGetLastError();
    T2_FAIL("--device cuda: no CUDA device is visible to this process (%s); check "
            "CUDA_VISIBLE_DEVICES and the job's GPU request (--gres=gpu:N), or use --device cpu",
            st != cudaSuccess ? cudaGetErrorString(st) : "the device count is 0");
  }
  const int index = launcher_local_rank() % n;
  T2_CUDA_CHECK(cudaSetDevice(index));
  return index;
}

std::string describe_device(int index) {
  cudaDeviceProp p{};
  T2_CUDA_CHECK(cudaGetDeviceProperties(&p, index));
  return format("%s (cc %d.%d, %.1f GiB, %d SMs)", p.name, p.major, p.minor,
                static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0),
                p.multiProcessorCount);
}

std::string backend_summary() {
  int n = 0;
  const cudaError_t st = cudaGetDeviceCount(&n);
  if (st != cudaSuccess) {
    cudaGetLastError();
    return format("cuda (no device: %s)", cudaGetErrorString(st));
  }
  if (n == 0) return "cuda (no device)";
  std::string s = format("cuda (%d device%s:", n, n == 1 ? "" : "s");
  for (int i = 0; i < n; ++i) s += format("%s %d: %s", i ? ";" : "", i, describe_device(i).c_str());
  return s + ")";
}

}  // namespace t2::cuda
