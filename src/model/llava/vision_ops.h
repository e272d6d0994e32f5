// The few operations a CLIP vision tower and the LLaVA projector need beyond the decoder's ops:
// LayerNorm with bias, bias addition, the GELU family, and bidirectional (unmasked) multi-head
// attention. Matrix products go through tensor::linear (so f32 / bf16 / f16 and both kernel levels
// apply); the rest are short loops over rows, spread over the kernels' worker pool. Activations
// are f32. Thread-safe (no shared state).
#pragma once

#include <cstdint>

#include "model/llava/config.h"
#include "tensor/dtype.h"

namespace t2::model::llava {

// y[n, d] = (x − mean) / sqrt(var + eps) · w + b per row (population variance). y may alias x.
void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, int64_t d,
                float eps);

// x[n, d] += b[d] per row.
void add_bias(float* x, const float* b, int64_t n, int64_t d);

// In place over n values.
void activate(float* x, int64_t n, Activation act);

// Attention of `n_seq` independent sequences of n_tok tokens each, every token attending to every
// token of its own sequence: q, k, v, out [n_seq, n_tok, n_head, head_dim], scale on the scores.
// out must not alias q, k or v. Cost: two linear() products per (sequence, head), with keys and
// values as the products' weights in `kv_dtype`: f32, or bf16 (the fast kernels' bf16 path, which
// also rounds queries and probabilities to bf16; the vision tower uses it for bf16 checkpoints at
// the fast kernel level, as the decoder keeps a bf16 KV cache there).
void bidirectional_attention(const float* q, const float* k, const float* v, float* out,
                             int64_t n_seq, int64_t n_tok, int64_t n_head, int64_t head_dim,
                             float scale, tensor::DType kv_dtype = tensor::DType::f32);

}  // namespace t2::model::llava
