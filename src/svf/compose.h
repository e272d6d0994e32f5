// Composition of an adapted matrix from its SVD and a scaling vector z (PROTOCOL.md §1):
//   W' = U · diag(σ ⊙ z) · Vᵀ · c,   c = Σσ / Σ(σ ⊙ z)   (keeps the total singular-value mass).
// Two ways to apply it: dense (recompose W' once, then ordinary matmuls; the fast path when a whole
// batch uses one expert) and factored (y = U · ((σ ⊙ z · c) ⊙ (Vᵀ x)), where every sequence of a
// batch may carry its own z). The base weights are never touched. Stateless functions; safe to call
// from several threads on distinct outputs. BLAS (OpenBLAS) does the heavy lifting.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "svf/svd.h"

namespace t2::svf {

// z = sigmoid(p) · max_mult, element-wise (computed in double, rounded to float).
std::vector<float> scaling_from_params(std::span<const float> p, double max_mult);

// c = Σσ / Σ(σ ⊙ z), summed in double. Throws, naming the matrix, when Σ(σ ⊙ z) is not a positive
// finite number (e.g. a mixture whose weights are all 0), since c is then undefined.
double mass_factor(std::span<const float> s, std::span<const float> z, const std::string& name);

// The effective singular values σ ⊙ z · c  [r]. Checks that z has length r.
std::vector<float> effective_singular_values(const Svd& svd, std::span<const float> z,
                                             const std::string& name);

// Dense recomposition W' [n_out, n_in] (row-major, like the checkpoint's weight). Cost: one sgemm,
// 2 · n_out · n_in · r flops, plus an [n_out, r] scratch copy of U.
void compose_dense(const Svd& svd, std::span<const float> z, std::span<float> w,
                   const std::string& name);
// The same, rounded to bfloat16 (round to nearest even) [n_out, n_in].
void compose_dense_bf16(const Svd& svd, std::span<const float> z, std::span<uint16_t> w,
                        const std::string& name);

// Factored application with per-sequence scaling:
//   x          [n, n_in]     activations, one row per token
//   y          [n, n_out]    output (overwritten)
//   row_seq    [n]           which sequence each row belongs to (empty: all rows use sequence 0)
//   seq_scales [n_seq, r]    σ ⊙ z_k · c_k for every sequence k (effective_singular_values)
// Cost: 2 · n · r · (n_in + n_out) flops (two sgemms) versus 2 · n · n_in · n_out dense, plus an
// [n, r] scratch buffer.
void apply_factored(const Svd& svd, std::span<const float> x, std::span<float> y, int64_t n,
                    std::span<const int32_t> row_seq, std::span<const float> seq_scales,
                    const std::string& name);

// Dense application y [n, n_out] = x [n, n_in] · Wᵀ (sgemm), for benchmarks and overrides.
void apply_dense(std::span<const float> w, int64_t n_out, int64_t n_in, std::span<const float> x,
                 std::span<float> y, int64_t n);

// float → bfloat16 bits, round to nearest even (NaN stays NaN).
uint16_t float_to_bf16(float x);
float bf16_to_float(uint16_t b);

}  // namespace t2::svf
