// ParamSet: f32 copies of every weight of a Llama-family decoder, keyed by canonical Hugging Face
// name, each with a gradient buffer of the same shape. Training works on these copies (weights are
// converted from bf16/f16 once); the engine's mapped weights are never touched. Also: random
// initialisation for pretraining and writing a Hugging Face checkpoint directory.
// Not thread-safe; one owner (the trainer) at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/llama/config.h"
#include "model/weight_names.h"
#include "tensor/dtype.h"

namespace t2::model {
class LlamaModel;
}

namespace t2::train {

// One weight matrix (or vector: cols == 1) with its gradient. [rows, cols] row-major, nn.Linear
// layout [out, in].
struct Param {
  std::string name;
  int64_t rows = 0;
  int64_t cols = 1;
  std::vector<float> w;  // [rows, cols]
  std::vector<float> g;  // [rows, cols], empty until allocate_grads()
  size_t size() const { return w.size(); }
};

class ParamSet {
 public:
  // Shapes from the config (tied head: no lm_head.weight entry), weights zero.
  explicit ParamSet(const model::LlamaConfig& config);
  // f32 copy of a loaded (unsharded) model's weights.
  static ParamSet from_model(const model::LlamaModel& m);

  const model::LlamaConfig& config() const { return config_; }
  std::vector<Param>& all() { return params_; }
  const std::vector<Param>& all() const { return params_; }
  Param& layer(int64_t l, model::LayerTensor t) { return params_[layer_index(l, t)]; }
  const Param& layer(int64_t l, model::LayerTensor t) const { return params_[layer_index(l, t)]; }
  Param& embed() { return params_[0]; }
  const Param& embed() const { return params_[0]; }
  Param& final_norm() { return params_[1]; }
  const Param& final_norm() const { return params_[1]; }
  // lm_head.weight, or the embedding when tied.
  Param& head() { return config_.tie_word_embeddings ? params_[0] : params_[2]; }
  const Param& head() const { return config_.tie_word_embeddings ? params_[0] : params_[2]; }
  Param* find(const std::string& name);
  int64_t n_elements() const;

  // Hugging Face's init: projections and embeddings N(0, std), norm weights 1.
  void init_random(uint64_t seed, float std);
  void allocate_grads();  // zero-filled gradients for every parameter
  void zero_grads();

  // Writes dir/config.json and dir/model.safetensors (atomically each) in `dtype`. The config is
  // the one given at construction, written with the standard Hugging Face keys.
  void save_checkpoint(const std::string& dir, tensor::DType dtype) const;

 private:
  size_t layer_index(int64_t l, model::LayerTensor t) const {
    return first_layer_ + static_cast<size_t>(l) * model::kLayerTensorCount +
           static_cast<size_t>(t);
  }
  model::LlamaConfig config_;
  std::vector<Param> params_;  // embed, final norm, [lm_head], layers in LayerTensor order
  size_t first_layer_ = 0;
};

// config.json text for a Llama config (architectures, sizes, rope, ids, tie, torch_dtype).
std::string llama_config_json(const model::LlamaConfig& c, const std::string& torch_dtype);

}  // namespace t2::train
