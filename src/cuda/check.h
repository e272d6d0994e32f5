// Status checks of the CUDA runtime, cuBLAS and cuBLASLt: every call's status goes through one of
// these macros, which turn a failure into t2::Error naming the call, the file and line, the
// library's name of the code and a hint for the usual causes. Nothing here allocates or launches.
// NCCL statuses are checked beside the NCCL communicator (dist/comm/nccl_comm.cpp), which must not
// depend on this module.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace t2::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file,
                                     int line);

// The hint printed after a failed runtime call (out of memory, no device, wrong architecture...).
const char* cuda_error_hint(cudaError_t status);

}  // namespace t2::cuda

#define T2_CUDA_CHECK(call)                                                        \
  do {                                                                             \
    const cudaError_t t2_status_ = (call);                                         \
    if (t2_status_ != cudaSuccess)                                                 \
      ::t2::cuda::throw_cuda_error(t2_status_, #call, __FILE__, __LINE__);         \
  } while (0)

#define T2_CUBLAS_CHECK(call)                                                      \
  do {                                                                             \
    const cublasStatus_t t2_status_ = (call);                                      \
    if (t2_status_ != CUBLAS_STATUS_SUCCESS)                                       \
      ::t2::cuda::throw_cublas_error(t2_status_, #call, __FILE__, __LINE__);       \
  } while (0)

// After a kernel launch: a bad launch configuration surfaces here, an execution fault at the next
// synchronising call.
#define T2_CUDA_CHECK_LAUNCH() T2_CUDA_CHECK(cudaGetLastError())
