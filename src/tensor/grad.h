// The ops of the training forward/backward (train/decoder.cpp), on plain f32 buffers: BLAS-backed
// linear products, RMSNorm, causal grouped-query attention that keeps its probabilities, SwiGLU,
// each with its backward. Unlike the engine's forward ops (ops.h) they keep what the backward needs
// and stay in f32. Shapes in brackets (memory order); rows are independent unless said otherwise.
// OpenMP inside; call from one thread.
#pragma once

#include <cstdint>

namespace t2::tensor::grad {

// y[n, m] (+)= x[n, k] · W[m, k]ᵀ   (accumulate when asked)
void linear(const float* x, const float* w, float* y, int64_t n, int64_t m, int64_t k,
            bool accumulate = false);
// dx[n, k] (+)= dy[n, m] · W[m, k]   (accumulate when beta1)
void linear_dx(const float* dy, const float* w, float* dx, int64_t n, int64_t m, int64_t k,
               bool accumulate);
// dW[m, k] += dy[n, m]ᵀ · x[n, k]
void linear_dw(const float* dy, const float* x, float* dw, int64_t n, int64_t m, int64_t k);

// y[n, d] = x · rstd · w, rstd[n] = 1 / sqrt(mean(x²) + eps) (stored for the backward).
void rms_norm(const float* x, const float* w, float* y, float* rstd, int64_t n, int64_t d,
              float eps);
// dx[n, d] += ∂/∂x of Σ dy ⊙ y; dw[d] += Σ_rows dy ⊙ x · rstd (dw may be null).
void rms_norm_backward(const float* x, const float* w, const float* rstd, const float* dy,
                       float* dx, float* dw, int64_t n, int64_t d);

// One sequence of length L, causal, GQA: q[L, nh, hd], k/v[L, nkv, hd] → out[L, nh, hd];
// probs[nh, L, L] (row i holds p_ij for j <= i, zeros above).
void attention(const float* q, const float* k, const float* v, float* out, float* probs,
               int64_t len, int64_t nh, int64_t nkv, int64_t hd, float scale);
// Gradients of the above: dq[L, nh, hd] (overwritten), dk/dv[L, nkv, hd] (overwritten).
void attention_backward(const float* q, const float* k, const float* v, const float* probs,
                        const float* dout, float* dq, float* dk, float* dv, int64_t len,
                        int64_t nh, int64_t nkv, int64_t hd, float scale);

// act = silu(gate) ⊙ up over n values; backward gives dgate, dup from dact.
void swiglu(const float* gate, const float* up, float* act, int64_t n);
void swiglu_backward(const float* gate, const float* up, const float* dact, float* dgate,
                     float* dup, int64_t n);

}  // namespace t2::tensor::grad
