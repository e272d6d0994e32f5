// Fast linear: y[n, m] = x[n, k] · W[m, k]ᵀ.
#include "tensor/cpu/fast.h"
#include "tensor/cpu/reference.h"

namespace t2::tensor::fast {

void linear(const float* x, const void* w, DType w_dtype, float* y, int64_t n, int64_t m, int64_t k,
            bool accumulate) {
  ref::linear(x, w, w_dtype, y, n, m, k, accumulate);
}

}  // namespace t2::tensor::fast
