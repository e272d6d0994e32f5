// Decoder: the training forward and backward pass of a Llama-family decoder on f32 weights
// (train/params.h). The forward keeps every activation the backward needs (per layer: block
// inputs, norms' inverse RMS, roped q/k, v, attention probabilities, MLP pre-activations), so
// memory grows with rows × layers; the inference engine (model/) is not used here because it
// keeps nothing. The backward yields gradients for all weights (pretraining) and/or ∂L/∂e of SVF
// adapters, which apply their matrix factored — y = U · (e ⊙ (Vᵀ x)) — so that neither the
// composed W' nor ∂L/∂W is ever formed.
//
// Objective: loss = −Σ_b Σ_i weight[b][i] · log p(tokens[b][i] | tokens[b][<i])
//                   + kl_coef · Σ_{b,i: weight≠0} KL(p_base ‖ p) at the same positions,
// where p_base is the distribution without adapters. Letters: n = rows of the batch (Σ lengths),
// d = n_embd, qd = n_head·head_dim, kvd = n_head_kv·head_dim, ff = n_ff, V = n_vocab.
// Not thread-safe (one Decoder per thread); it uses OpenMP and BLAS threads internally.
#pragma once

#include <array>
#include <cstdint>
#include <algorithm>
#include <span>
#include <vector>

#include "model/llama/model.h"  // EmbeddingRun
#include "model/weight_names.h"
#include "svf/svd.h"
#include "train/params.h"

namespace t2::train {

// One training sequence. weight[i] multiplies log p(tokens[i] | tokens[<i]); weight[0] must be 0
// (nothing predicts the first token). Positions with weight 0 cost no head computation. embeds:
// input vectors that replace the token embeddings at some positions (image features of a
// LLaVA-NeXT prompt, as in the engine's forward); they are inputs, so no gradient reaches them or
// the embedding rows of their placeholder tokens. Their data is owned by the caller.
struct SeqExample {
  std::vector<int32_t> tokens;
  std::vector<float> weight;  // same length as tokens
  std::vector<model::EmbeddingRun> embeds{};
};

// One adapted projection during training: the factors, the current effective singular values
// e = σ ⊙ z · c (svf/compose.h) and the accumulated ∂L/∂e. Owned by the caller; the decoder borrows.
struct SvfAdapter {
  const svf::Svd* svd = nullptr;
  std::vector<float> e;        // [r]
  std::vector<double> grad_e;  // [r], accumulated by Decoder backward
  void zero_grad() { std::fill(grad_e.begin(), grad_e.end(), 0.0); }
};

struct DecoderOptions {
  bool weight_grads = true;  // accumulate ∂L/∂W into Param::g (needs ParamSet::allocate_grads)
  float kl_coef = 0.0f;      // > 0: add kl_coef · KL(p_base ‖ p) at weighted positions
};

struct ForwardResult {
  double loss = 0;
  double kl = 0;                             // Σ KL(p_base ‖ p) (0 unless kl_coef > 0)
  std::vector<std::vector<float>> logp;      // [b][i]: log p(tokens[i] | <i) where weight ≠ 0, else 0
  double seconds_forward = 0, seconds_backward = 0;
};

class Decoder {
 public:
  explicit Decoder(ParamSet& params);

  // Routes the projection (layer, t) through `a` (factored in the forward, ∂L/∂e in the
  // backward; no ∂L/∂W for that matrix). nullptr restores the plain weight. The adapter must
  // outlive its use and match the weight's shape.
  void set_adapter(int64_t layer, model::LayerTensor t, SvfAdapter* a);
  void clear_adapters();

  // Forward only (backward = false) or forward + backward, accumulating into Param::g and
  // SvfAdapter::grad_e (the caller zeroes them). Throws t2::Error on malformed examples.
  ForwardResult run(std::span<const SeqExample> batch, bool backward,
                    const DecoderOptions& opt = {});

 private:
  struct Acts;
  void forward(std::span<const SeqExample> batch, Acts& a, bool use_adapters);
  // y[n, out] = x[n, in] · Wᵀ of projection (l, t), through its adapter when use_adapters.
  void project(int64_t l, model::LayerTensor t, const float* x, float* y, int64_t n,
               bool use_adapters) const;

  ParamSet& params_;
  std::vector<std::array<SvfAdapter*, model::kLayerTensorCount>> adapters_;  // [layer][tensor]
  std::vector<float> inv_freq_;
};

}  // namespace t2::train
