// The CLIP ViT vision tower of LLaVA-NeXT (transformers' CLIPVisionModel): patch embedding (the
// stride-p convolution as one matrix product over unfolded patches), class token, learned position
// embeddings, the pre-LayerNorm ("pre_layrnorm"), then pre-norm encoder layers (LayerNorm →
// q/k/v with biases → unmasked attention → out_proj → residual; LayerNorm → fc1 → activation →
// fc2 → residual). The post-LayerNorm is never used: LLaVA takes hidden states, and hidden state
// k is the output of layer k (0: the pre-normed embeddings). Only the layers up to the deepest
// selected state run. Weights are views into the checkpoint (matrices) or f32 copies (vectors);
// immutable after load, shared by all threads. The tower is replicated under tensor parallelism.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/llama/weights.h"  // Weight
#include "model/llava/config.h"
#include "model/llava/tensor_reader.h"

namespace t2::model::llava {

class VisionTower {
 public:
  // Reads the tower's tensors through `reader` (whose prefix points at the tower), layers
  // 0 .. n_layers_used − 1 only. Throws t2::Error naming a missing or misshapen tensor.
  VisionTower(const TensorReader& reader, const VisionConfig& config, int64_t n_layers_used);

  const VisionConfig& config() const { return config_; }

  // pixels [n_tiles, 3, S, S] → out [n_tiles, n_out, D · layers.size()]: for each tile and token,
  // the hidden states `layers` (indices 0 .. n_layers_used) side by side, without the class token
  // (keep_class false: n_out = patches) or with it (n_out = patches + 1). Cost: one linear per
  // projection for all tiles' tokens; two per (tile, head) in attention.
  void forward(const float* pixels, int64_t n_tiles, std::span<const int64_t> layers,
               bool keep_class, float* out) const;

  size_t weight_bytes() const;

 private:
  struct Layer {
    Weight q, k, v, o, fc1, fc2;
    std::vector<float> bq, bk, bv, bo, b1, b2, ln1_w, ln1_b, ln2_w, ln2_b;
  };
  VisionConfig config_;
  Weight patch_embed_;                          // [D, 3 p p]
  std::vector<float> class_embed_;              // [D]
  std::vector<float> pos_embed_;                // [n_positions, D]
  std::vector<float> pre_ln_w_, pre_ln_b_;      // [D]
  std::vector<Layer> layers_;
};

}  // namespace t2::model::llava
