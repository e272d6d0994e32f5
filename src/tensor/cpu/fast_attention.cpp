// Fast causal grouped-query attention of one sequence.
#include "tensor/cpu/fast.h"
#include "tensor/cpu/reference.h"

namespace t2::tensor::fast {

void attention(const float* q, const float* k, const float* v, float* out, int64_t n_q,
               int64_t q_pos0, int64_t n_ctx, int64_t n_head, int64_t n_kv_head, int64_t head_dim,
               float scale) {
  ref::attention(q, k, v, out, n_q, q_pos0, n_ctx, n_head, n_kv_head, head_dim, scale);
}

}  // namespace t2::tensor::fast
