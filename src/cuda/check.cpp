// Status-to-exception conversion for the CUDA runtime and cuBLAS (see check.h).
#include "cuda/check.h"

#include <string>

#include "base/error.h"

namespace t2::cuda {

const char* cuda_error_hint(cudaError_t status) {
  switch (status) {
    case cudaErrorMemoryAllocation:
      return "the device is out of memory: lower the batch (--batch-size, --max-batch-tokens), the "
             "context, or run the model on more GPUs (tensor parallelism)";
    case cudaErrorNoDevice:
      return "no CUDA device is visible: check CUDA_VISIBLE_DEVICES and the job's GPU request "
             "(--gres=gpu:N), or run with --device cpu";
    case cudaErrorInsufficientDriver:
      return "the NVIDIA driver is older than the CUDA runtime t2 was built with: update the driver "
             "or build with a matching toolkit";
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorUnsupportedPtxVersion:
      return "t2 was built for another GPU architecture: rebuild with "
             "-DCMAKE_CUDA_ARCHITECTURES=<your GPU's compute capability, e.g. 90 for H100>";
    case cudaErrorInvalidDevice:
      return "the device index is not visible to this process: check CUDA_VISIBLE_DEVICES and the "
             "local rank";
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
      return "a kernel faulted; the context is unusable now. Rerun under compute-sanitizer to find "
             "the kernel, and report it with the model's config";
    default:
      return "see the CUDA runtime documentation for this code";
  }
}

void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  throw Error(format("CUDA call %s failed at %s:%d: %s (%s); %s", call, file, line,
                     cudaGetErrorName(status), cudaGetErrorString(status),
                     cuda_error_hint(status)));
}

void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  const char* hint = "check the shapes and the cuBLAS version";
  if (status == CUBLAS_STATUS_ALLOC_FAILED)
    hint = "the device is out of memory for cuBLAS's workspace: lower the batch or the context";
  else if (status == CUBLAS_STATUS_NOT_INITIALIZED)
    hint = "cuBLAS could not start: no usable device, or the driver does not match the toolkit";
  else if (status == CUBLAS_STATUS_NOT_SUPPORTED || status == CUBLAS_STATUS_ARCH_MISMATCH)
    hint = "this GPU does not support the requested data types (bf16 needs compute capability 8.0+)";
  throw Error(format("cuBLAS call %s failed at %s:%d: %s (%s); %s", call, file, line,
                     cublasGetStatusName(status), cublasGetStatusString(status), hint));
}

}  // namespace t2::cuda
