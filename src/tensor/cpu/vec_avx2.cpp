// The level-generic kernels (cpu/*_vec.inc) compiled for AVX2 + FMA + F16C (8 f32 lanes, 16
// registers): the table vec_kernels() returns for the avx2 level.
// Every header is included first; the kernel bodies are then included inside the level's target
// region (cpu/target.h) and namespace, so nothing here leaks into baseline code.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>  // std::memcpy
#include <utility>  // std::index_sequence
#include <vector>

#include "tensor/cpu/fast.h"         // kParallelMinWork
#include "tensor/cpu/simd.h"         // simd::V8
#include "tensor/cpu/thread_pool.h"  // parallel_chunks
#include "tensor/cpu/vec_kernels.h"
#include "tensor/dtype.h"

T2_TARGET_BEGIN(T2_TARGET_AVX2)

namespace t2::tensor::fast::avx2 {

using V = simd::V8;

#include "tensor/cpu/attention_vec.inc"
#include "tensor/cpu/elementwise_vec.inc"
#include "tensor/cpu/linear_vec.inc"

extern const VecKernels kVecKernels = {CpuIsa::avx2, V::N,        attention_cached, silu_mul,
                                       log_softmax,   linear_dot, linear_gemm};

}  // namespace t2::tensor::fast::avx2

T2_TARGET_END
