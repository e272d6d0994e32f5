// The arithmetic of SVF (PROTOCOL.md §1, §5), written once for inference, search and training:
//   z  = sigmoid(p) · max_mult                                    (an expert's scaling)
//   z' = Σ_k w_k(m) · z_k(m),  w(m) = α(m) or α(m) / Σ_k α_k(m)    (a mixture, after the sigmoid)
//   e  = σ ⊙ z · c,  c = Σσ / Σ(σ ⊙ z)                             (effective singular values)
//   W' = U · diag(e) · Vᵀ                                          (the composed matrix)
// and the backward of e with respect to p, next to its forward. A ScalingSet is what a run applies:
// z per adapted matrix. Stateless functions, sums in double; safe to call from several threads.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "svf/svd.h"

namespace t2::svf {

// The scaling vector z per adapted matrix that a run applies (matrices absent keep the base W).
struct ScalingSet {
  std::string label;  // for logs and reports: the expert's task or the mixture's description
  std::map<std::string, std::vector<float>> z;  // matrix name → z [r]

  // Identity of the content (matrix names and z values, not the label): equal keys mean equal
  // scalings, so a composition made for one can serve the other. 16 hex digits.
  std::string key() const;
};

// z = sigmoid(p) · max_mult, element-wise (computed in double, rounded to float).
std::vector<float> scaling_from_params(std::span<const float> p, double max_mult);

// c = Σσ / Σ(σ ⊙ z). Throws, naming the matrix, when the lengths differ or Σ(σ ⊙ z) is not a
// positive finite number (e.g. a mixture whose weights are all 0), since c is then undefined.
double mass_factor(std::span<const float> sigma, std::span<const float> z, const std::string& name);

// e = σ ⊙ z · c  [r].
std::vector<float> effective_singular_values(std::span<const float> sigma,
                                             std::span<const float> z, const std::string& name);

// Backward of e(p) = σ ⊙ z(p) · c(z(p)) with z = sigmoid(p) · max_mult: dp [r] (overwritten) from
// de = ∂L/∂e [r], through c and the sigmoid.
void effective_singular_values_backward(std::span<const float> sigma, std::span<const float> p,
                                        double max_mult, std::span<const double> de,
                                        std::span<double> dp, const std::string& name);

// W' [n_out, n_in] = U · diag(σ ⊙ z · c) · Vᵀ (row-major, like the checkpoint's weight). Cost: one
// f32 gemm, 2 · n_out · n_in · r flops, plus an [n_out, r] scratch copy of U.
void compose_dense(const Svd& svd, std::span<const float> z, std::span<float> w,
                   const std::string& name);

// The mixed scaling of one matrix: z' = Σ_k w_k · zk[k], with w = weights, or weights / Σ weights
// when normalise. Weights must be finite and ≥ 0 and not all 0 (then z' = 0 and c is undefined):
// t2::Error names the matrix otherwise. Every zk[k] must have the same length.
std::vector<float> mix_z(std::span<const std::vector<float>* const> zk,
                         std::span<const double> weights, bool normalise,
                         const std::string& matrix);

}  // namespace t2::svf
