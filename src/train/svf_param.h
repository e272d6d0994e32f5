// SVF parameterisation of one adapted matrix, for training: the thin SVD W = U · diag(σ) · Vᵀ,
// the scaling s = σ ⊙ z · c with z = sigmoid(p) · max_mult and c = Σσ / Σ(σ ⊙ z)
// (PROTOCOL.md §1), the chain rule from ∂L/∂s back to ∂L/∂p, and SvfAdapter, which carries the
// composed weight for a forward pass and accumulates ∂L/∂s in the backward (decoder.h) without
// ever forming ∂L/∂W. The persistent SVD store and expert files belong to svf/; this is the
// trainer's own in-memory form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace t2::train {

struct SvfMatrix {
  std::string name;  // canonical weight name
  int64_t n_out = 0, n_in = 0, rank = 0;
  std::vector<float> u;      // [n_out, rank]
  std::vector<float> sigma;  // [rank], descending
  std::vector<float> v;      // [n_in, rank]
};

// Thin SVD of w [n_out, n_in] (LAPACK dgesdd in double, stored f32). Throws on LAPACK failure.
SvfMatrix svd_matrix(const std::string& name, const float* w, int64_t n_out, int64_t n_in);

// s [rank] from p [rank]. Throws t2::Error (naming the matrix) when Σ(σ ⊙ z) is 0.
std::vector<float> svf_scale(const SvfMatrix& m, const float* p, float max_mult);
// dp [rank] (overwritten) from ds = ∂L/∂s [rank], through c and the sigmoid.
void svf_scale_backward(const SvfMatrix& m, const float* p, float max_mult, const double* ds,
                        double* dp);
// w [n_out, n_in] = U · diag(s) · Vᵀ.
void svf_compose(const SvfMatrix& m, const float* s, float* w);

// One adapted matrix during training: the current scaling, its composed dense weight (used by the
// forward and for ∂L/∂x) and the accumulated ∂L/∂s. Owned by the caller; the decoder only borrows.
struct SvfAdapter {
  const SvfMatrix* m = nullptr;
  std::vector<float> s;       // [rank]
  std::vector<float> dense;   // [n_out, n_in]
  std::vector<double> grad_s; // [rank], accumulated by Decoder backward
  void set_scale(std::vector<float> scale);  // stores s, recomposes dense, keeps grad_s
  void zero_grad();
};

}  // namespace t2::train
