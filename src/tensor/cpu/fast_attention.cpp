// Fast causal grouped-query attention of one sequence: dispatch to the vector kernel of the current
// level (cpu/attention_vec.inc, compiled for AVX-512 and AVX2; see there for the algorithm), or
// to the reference kernel at the generic level and for head_dim above 256. attention() on
// row-major k/v first transposes the visible context into the cache layout the kernel reads
// (keys [head_dim][ldk] per KV head); attention_cached() reads the cache as it is.
#include <algorithm>
#include <cstring>  // std::memcpy
#include <vector>

#include "tensor/cpu/fast.h"
#include "tensor/cpu/reference.h"
#include "tensor/cpu/thread_pool.h"
#include "tensor/cpu/vec_kernels.h"

namespace t2::tensor::fast {

namespace {

constexpr int64_t kMaxVecHeadDim = 256;

int64_t round16(int64_t v) { return (v + 15) / 16 * 16; }

// kt[d][t] = k[t, kv head, d] for t < n_ctx, zero up to ldk: keys become contiguous per dimension.
// vc[t][d] = v[t, kv head, d]: the head's values without the other heads in between (cache rows of
// one head sit 2 KiB apart in Llama-3.2-1B, a stride that maps them all to a few L1 sets).
void repack_kv(const float* k, const float* v, int64_t n_ctx, int64_t kv_stride, int64_t head_dim,
               int64_t ldk, float* kt, float* vc) {
  for (int64_t t = 0; t < n_ctx; ++t) {
    for (int64_t d = 0; d < head_dim; ++d) kt[d * ldk + t] = k[t * kv_stride + d];
    std::memcpy(vc + t * head_dim, v + t * kv_stride, size_t(head_dim) * sizeof(float));
  }
  for (int64_t d = 0; d < head_dim; ++d)
    for (int64_t t = n_ctx; t < ldk; ++t) kt[d * ldk + t] = 0.0f;
}

// The generic level: gather the cache rows back into [n, n_kv_head, head_dim] and run the
// reference kernel.
void attention_cached_generic(const float* q, const void* kt_all, const void* v_all, bool bf16,
                              int64_t ldk, int64_t v_cap, float* out, int64_t n_q, int64_t q_pos0,
                              int64_t n_head, int64_t n_kv_head, int64_t head_dim, float scale) {
  const int64_t n_vis = q_pos0 + n_q;
  auto get = [&](const void* base, int64_t i) {
    return bf16 ? bf16_to_f32(static_cast<const uint16_t*>(base)[i]) : static_cast<const float*>(base)[i];
  };
  std::vector<float> k(size_t(n_vis * n_kv_head * head_dim)), v(k.size());
  for (int64_t kh = 0; kh < n_kv_head; ++kh)
    for (int64_t t = 0; t < n_vis; ++t)
      for (int64_t d = 0; d < head_dim; ++d) {
        k[size_t((t * n_kv_head + kh) * head_dim + d)] = get(kt_all, (kh * head_dim + d) * ldk + t);
        v[size_t((t * n_kv_head + kh) * head_dim + d)] = get(v_all, (kh * v_cap + t) * head_dim + d);
      }
  ref::attention(q, k.data(), v.data(), out, n_q, q_pos0, n_vis, n_head, n_kv_head, head_dim, scale);
}

// The vector kernels of the current level, or nullptr where the generic path runs.
const VecKernels* attention_kernels(int64_t head_dim) {
  return head_dim <= kMaxVecHeadDim ? vec_kernels(cpu_isa()) : nullptr;
}

}  // namespace

void attention_cached(const float* q, const void* kt, const void* v, bool bf16, int64_t ldk,
                      int64_t v_cap, float* out, int64_t n_q, int64_t q_pos0, int64_t n_head,
                      int64_t n_kv_head, int64_t head_dim, float scale) {
  if (const VecKernels* vk = attention_kernels(head_dim))
    vk->attention_cached(q, kt, v, bf16, ldk, v_cap, out, n_q, q_pos0, n_head, n_kv_head, head_dim, scale);
  else
    attention_cached_generic(q, kt, v, bf16, ldk, v_cap, out, n_q, q_pos0, n_head, n_kv_head, head_dim, scale);
}

void attention(const float* q, const float* k, const float* v, float* out, int64_t n_q,
               int64_t q_pos0, int64_t n_ctx, int64_t n_head, int64_t n_kv_head, int64_t head_dim,
               float scale) {
  const VecKernels* vk = attention_kernels(head_dim);
  if (vk == nullptr) {
    ref::attention(q, k, v, out, n_q, q_pos0, n_ctx, n_head, n_kv_head, head_dim, scale);
    return;
  }
  // Rows in the cache layout first (one transposition of the visible context), then the kernel.
  const int64_t n_vis = q_pos0 + n_q;
  const int64_t ldk = round16(n_vis) + 16, kv_stride = n_kv_head * head_dim;
  static thread_local std::vector<float> kv_buf;
  kv_buf.resize(size_t(n_kv_head * head_dim * (ldk + n_vis)));
  float* kt_all = kv_buf.data();  // workers must use these pointers, not their own thread_local
  float* v_all = kt_all + n_kv_head * head_dim * ldk;
  auto repack = [&](int64_t kh) {
    repack_kv(k + kh * head_dim, v + kh * head_dim, n_vis, kv_stride, head_dim, ldk,
              kt_all + kh * head_dim * ldk, v_all + kh * n_vis * head_dim);
  };
  if (n_vis * kv_stride >= kParallelMinWork / 4) {
    parallel_chunks(n_kv_head, repack);
  } else {
    for (int64_t kh = 0; kh < n_kv_head; ++kh) repack(kh);
  }
  vk->attention_cached(q, kt_all, v_all, false, ldk, n_vis, out, n_q, q_pos0, n_head, n_kv_head,
                       head_dim, scale);
}

}  // namespace t2::tensor::fast
