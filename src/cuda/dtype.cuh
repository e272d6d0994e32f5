// Device-side element access for the dtypes weights and caches use (f32, bf16, f16): load as f32,
// store from f32 with round-to-nearest-even. Included by the .cu files of this module only.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "tensor/dtype.h"

namespace t2::cuda {

__device__ __forceinline__ float load_f32(const float* p, long long i) { return p[i]; }
__device__ __forceinline__ float load_f32(const __nv_bfloat16* p, long long i) {
  return __bfloat162float(p[i]);
}
__device__ __forceinline__ float load_f32(const __half* p, long long i) { return __half2float(p[i]); }

__device__ __forceinline__ void store_f32(float* p, long long i, float v) { p[i] = v; }
__device__ __forceinline__ void store_f32(__nv_bfloat16* p, long long i, float v) {
  p[i] = __float2bfloat16_rn(v);
}
__device__ __forceinline__ void store_f32(__half* p, long long i, float v) { p[i] = __float2half_rn(v); }

// Block-wide reductions over blockDim.x threads (a multiple of 32, at most 1024); every thread
// gets the result. `scratch` holds 32 values of the reduced type in shared memory.
template <typename T, typename Op>
__device__ __forceinline__ T block_reduce(T v, T* scratch, Op op) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, n_warp = blockDim.x >> 5;
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  __syncthreads();  // scratch may still be read by a previous reduction
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < n_warp ? scratch[lane] : scratch[0];
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

struct MaxOp {
  template <typename T>
  __device__ T operator()(T a, T b) const { return a > b ? a : b; }
};
struct SumOp {
  template <typename T>
  __device__ T operator()(T a, T b) const { return a + b; }
};

// Calls f with a typed null pointer for the dtype (dispatch once, then typed kernels).
template <typename F>
void dispatch_dtype(tensor::DType dtype, F&& f) {
  switch (dtype) {
    case tensor::DType::f32: f(static_cast<float*>(nullptr)); break;
    case tensor::DType::bf16: f(static_cast<__nv_bfloat16*>(nullptr)); break;
    case tensor::DType::f16: f(static_cast<__half*>(nullptr)); break;
  }
}

inline unsigned grid_for(long long n, int threads) {
  const long long b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 65535 * 32 ? (b > 0 ? b : 1) : 65535 * 32);
}

}  // namespace t2::cuda
