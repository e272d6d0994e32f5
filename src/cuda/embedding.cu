// Token embedding gather on the device: one block per row, converting the table's dtype to f32.
#include "cuda/check.h"
#include "cuda/dtype.cuh"
#include "cuda/kernels.h"

namespace t2::cuda {

namespace {

template <typename T>
__global__ void embedding_kernel(const T* table, const int32_t* ids, float* out, long long d) {
  const long long row = blockIdx.x;
  const T* src = table + static_cast<long long>(ids[row]) * d;
  for (long long j = threadIdx.x; j < d; j += blockDim.x) out[row * d + j] = load_f32(src, j);
}

}  // namespace

void embedding(const void* table, DType dtype, const int32_t* ids, float* out, int64_t n,
               int64_t d, cudaStream_t stream) {
  if (n == 0) return;
  dispatch_dtype(dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    embedding_kernel<T><<<static_cast<unsigned>(n), 256, 0, stream>>>(static_cast<const T*>(table),
                                                                       ids, out, d);
  });
  T2_CUDA_CHECK_LAUNCH();
}

}  // namespace t2::cuda
