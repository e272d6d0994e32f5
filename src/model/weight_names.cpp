// Canonical tensor names (see weight_names.h).
#include "model/weight_names.h"

#include <charconv>

namespace t2::model {

namespace {
constexpr std::string_view kSuffixes[kLayerTensorCount] = {
    "input_layernorm.weight",  "self_attn.q_proj.weight",         "self_attn.k_proj.weight",
    "self_attn.v_proj.weight", "self_attn.o_proj.weight",         "post_attention_layernorm.weight",
    "mlp.gate_proj.weight",    "mlp.up_proj.weight",              "mlp.down_proj.weight",
};
constexpr std::string_view kLayerPrefix = "model.layers.";
}  // namespace

std::string_view layer_tensor_suffix(LayerTensor t) { return kSuffixes[static_cast<int>(t)]; }

bool is_projection(LayerTensor t) { return t != LayerTensor::attn_norm && t != LayerTensor::ffn_norm; }

std::string layer_tensor_name(int64_t layer, LayerTensor t) {
  std::string s(kLayerPrefix);
  s += std::to_string(layer);
  s += '.';
  s += layer_tensor_suffix(t);
  return s;
}

std::optional<LayerTensorRef> parse_layer_tensor_name(std::string_view name) {
  if (name.substr(0, kLayerPrefix.size()) != kLayerPrefix) return std::nullopt;
  name.remove_prefix(kLayerPrefix.size());
  int64_t layer = -1;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), layer);
  if (ec != std::errc() || layer < 0 || p == name.data() || *p != '.') return std::nullopt;
  std::string_view rest(p + 1, name.data() + name.size() - (p + 1));
  for (int i = 0; i < kLayerTensorCount; ++i) {
    if (rest == kSuffixes[i]) return LayerTensorRef{layer, static_cast<LayerTensor>(i)};
  }
  return std::nullopt;
}

}  // namespace t2::model
