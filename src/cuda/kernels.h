// Launchers of the engine's own CUDA kernels: the forward pass's element-wise and per-row ops, the
// key/value cache and attention, token selection and log-probabilities, and the SVF helpers.
// Matrix products are not here (cuda/blas.h). Every launcher takes device pointers, enqueues on
// `stream` and returns without synchronising; shapes are in brackets in memory order. Arguments
// are checked once by the caller (cuda/cuda_model.cpp or the tests); the kernels trust them.
// Semantics follow the CPU reference kernels (tensor/cpu/reference.cpp) op by op.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime.h>

#include "tensor/dtype.h"

namespace t2::cuda {

using tensor::DType;

// out[n, d] f32 = table[ids[i], :] (table [n_vocab, d] of dtype).
void embedding(const void* table, DType dtype, const int32_t* ids, float* out, int64_t n,
               int64_t d, cudaStream_t stream);

// y[n, d] = x · rsqrt(mean(x²) + eps) · weight[d]   (y may alias x; sum of squares in f64)
void rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t d, float eps,
              cudaStream_t stream);

// In place, rotate-half layout: x[n, n_head, head_dim], pos[n], inv_freq[head_dim / 2] (llama3
// scaling, when the config has it, is already folded into inv_freq by model::rope_inv_freq).
// Angle pos · inv_freq in f32, its cosine and sine in f64, as the CPU reference.
void rope(float* x, const int32_t* pos, const float* inv_freq, int64_t n, int64_t n_head,
          int64_t head_dim, cudaStream_t stream);

// out[i] = silu(gate[i]) · up[i]   (out may alias gate or up)
void silu_mul(const float* gate, const float* up, float* out, int64_t n, cudaStream_t stream);
// y[i] = a[i] + b[i]
void add(const float* a, const float* b, float* y, int64_t n, cudaStream_t stream);
// y[n] of dtype (bf16/f16 rounded to nearest even, or a copy for f32) = x[n] f32
void convert_from_f32(const float* x, void* y, DType dtype, int64_t n, cudaStream_t stream);
// y[n] f32 = x[n] of dtype
void convert_to_f32(const void* x, DType dtype, float* y, int64_t n, cudaStream_t stream);

// The key/value cache of the rows of a batch. Each sequence owns one device allocation of
// [n_layer, 2 (k, v), n_kv_head, capacity, head_dim] elements of the cache dtype (f32 or bf16);
// row i of the batch belongs to the sequence whose storage starts at base[i], sits at position
// pos[i] and that sequence's capacity is cap[i]. All three arrays are device arrays [n].
struct KvRows {
  const unsigned long long* base = nullptr;
  const int32_t* pos = nullptr;
  const int32_t* cap = nullptr;
};

// Stores k, v[n, n_kv_head, head_dim] f32 at each row's position of layer `layer`.
void kv_store(const KvRows& rows, DType kv_dtype, int64_t layer, const float* k, const float* v,
              int64_t n, int64_t n_kv_head, int64_t head_dim, cudaStream_t stream);

// Causal grouped-query attention of every row over its own sequence's cache (keys 0..pos[i], the
// row's own key stored before the call): out[n, n_head, head_dim] from q[n, n_head, head_dim];
// head h reads kv head h / (n_head / n_kv_head). Decode rows and prefill chunks alike; online
// softmax over tiles of keys, so the context length is bounded only by the cache. head_dim ≤ 256.
void attention(const KvRows& rows, DType kv_dtype, int64_t layer, const float* q, float* out,
               int64_t n, int64_t n_head, int64_t n_kv_head, int64_t head_dim, float scale,
               cudaStream_t stream);

// out[n]: index of the largest logit of each row of logits[n, n_vocab] (first index on ties,
// as model::argmax and torch.argmax).
void argmax_rows(const float* logits, int64_t n, int64_t n_vocab, int32_t* out, cudaStream_t stream);

// out[n] = log softmax(logits[i, :])[token[i]]   (sums in f64, as model::token_logprob)
void token_logprobs(const float* logits, int64_t n, int64_t n_vocab, const int32_t* token,
                    float* out, cudaStream_t stream);

// Temperature + top-p (nucleus) sampling of each row, the algorithm of model::sample_token with the
// uniform draw u[i] ∈ [0, 1) made on the host from the request's own stream (so a request's
// tokens do not depend on the device): probabilities exp((l − max) / T), the smallest set of most
// likely tokens (ties by index) whose mass reaches top_p, then the inverse CDF in that order.
// temperature[i] ≤ 0 gives the argmax. out[i] = -1 when the nucleus holds more than
// kMaxNucleus tokens; the caller then samples that row on the host.
inline constexpr int kMaxNucleus = 1024;
void sample_rows(const float* logits, int64_t n, int64_t n_vocab, const float* temperature,
                 const float* top_p, const double* u, int32_t* out, cudaStream_t stream);

// SVF: out[rows, r] of dtype = u[rows, r] · diag(e[r])   (U scaled by the effective singular values)
void scale_columns(const float* u, const float* e, void* out, DType dtype, int64_t rows, int64_t r,
                   cudaStream_t stream);
// SVF factored path: t[n, r] *= scales[row_scale[i], :] for every row i (scales [n_scales, r]).
void scale_rows(float* t, const int32_t* row_scale, const float* scales, int64_t n, int64_t r,
                cudaStream_t stream);

// out[n, width] = x[idx[i], :] for every i (the rows of one route group, contiguous).
void gather_rows(const float* x, const int32_t* idx, float* out, int64_t n, int64_t width,
                 cudaStream_t stream);
// y[idx[i], :] = in[i, :] for every i (idx distinct): the inverse of gather_rows.
void scatter_rows(const float* in, const int32_t* idx, float* y, int64_t n, int64_t width,
                  cudaStream_t stream);

// Device memory bandwidth of a plain copy kernel over `bytes` (16-byte accesses), in GB/s counting
// bytes read and written: the best of `repeats` timed runs after one warm-up. Synchronises.
double copy_bandwidth_gbs(size_t bytes, int repeats);

}  // namespace t2::cuda
