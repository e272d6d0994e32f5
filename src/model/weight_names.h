// Canonical Hugging Face tensor names of Llama-family checkpoints, produced by one helper so that
// the loader, SVF decomposition, experts and reports all address a matrix by the same string
// ("model.layers.3.mlp.gate_proj.weight"). Nothing here knows shapes; see llama/weights.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace t2::model {

// The per-layer tensors of a Llama decoder layer, in checkpoint order.
enum class LayerTensor : uint8_t {
  attn_norm,  // input_layernorm.weight            [n_embd]
  q_proj,     // self_attn.q_proj.weight           [n_head * head_dim, n_embd]
  k_proj,     // self_attn.k_proj.weight           [n_head_kv * head_dim, n_embd]
  v_proj,     // self_attn.v_proj.weight           [n_head_kv * head_dim, n_embd]
  o_proj,     // self_attn.o_proj.weight           [n_embd, n_head * head_dim]
  ffn_norm,   // post_attention_layernorm.weight   [n_embd]
  gate_proj,  // mlp.gate_proj.weight              [n_ff, n_embd]
  up_proj,    // mlp.up_proj.weight                [n_ff, n_embd]
  down_proj,  // mlp.down_proj.weight              [n_embd, n_ff]
};
inline constexpr int kLayerTensorCount = 9;

// "self_attn.q_proj.weight" etc.
std::string_view layer_tensor_suffix(LayerTensor t);
// True for the seven projection matrices (everything but the two norms).
bool is_projection(LayerTensor t);

// "model.layers.{layer}.{suffix}"
std::string layer_tensor_name(int64_t layer, LayerTensor t);
inline constexpr std::string_view kEmbedTokensName = "model.embed_tokens.weight";
inline constexpr std::string_view kFinalNormName = "model.norm.weight";
inline constexpr std::string_view kLmHeadName = "lm_head.weight";

// Inverse of layer_tensor_name: the layer and tensor of a canonical per-layer name, if it is one.
struct LayerTensorRef {
  int64_t layer;
  LayerTensor tensor;
};
std::optional<LayerTensorRef> parse_layer_tensor_name(std::string_view name);

}  // namespace t2::model
