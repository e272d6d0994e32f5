// ParamSet construction, initialisation and checkpoint writing.
#include "train/params.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/rng.h"
#include "io/file.h"
#include "io/safetensors.h"
#include "model/llama/model.h"

namespace t2::train {

using model::LayerTensor;

namespace {

Param make_param(std::string name, int64_t rows, int64_t cols) {
  Param p;
  p.name = std::move(name);
  p.rows = rows;
  p.cols = cols;
  p.w.assign(static_cast<size_t>(rows * cols), 0.0f);
  return p;
}

// [rows, cols] of a per-layer tensor under config c (1-D norms have cols == 1).
std::pair<int64_t, int64_t> layer_shape(const model::LlamaConfig& c, LayerTensor t) {
  switch (t) {
    case LayerTensor::attn_norm:
    case LayerTensor::ffn_norm: return {c.n_embd, 1};
    case LayerTensor::q_proj: return {c.q_dim(), c.n_embd};
    case LayerTensor::k_proj:
    case LayerTensor::v_proj: return {c.kv_dim(), c.n_embd};
    case LayerTensor::o_proj: return {c.n_embd, c.q_dim()};
    case LayerTensor::gate_proj:
    case LayerTensor::up_proj: return {c.n_ff, c.n_embd};
    case LayerTensor::down_proj: return {c.n_embd, c.n_ff};
  }
  return {0, 0};
}

}  // namespace

ParamSet::ParamSet(const model::LlamaConfig& c) : config_(c) {
  T2_CHECK(c.n_vocab > 0 && c.n_embd > 0 && c.n_layer > 0 && c.n_head > 0 && c.n_ff > 0,
           "training needs positive vocab_size, hidden_size, num_hidden_layers, "
           "num_attention_heads and intermediate_size");
  params_.push_back(make_param(std::string(model::kEmbedTokensName), c.n_vocab, c.n_embd));
  params_.push_back(make_param(std::string(model::kFinalNormName), c.n_embd, 1));
  if (!c.tie_word_embeddings)
    params_.push_back(make_param(std::string(model::kLmHeadName), c.n_vocab, c.n_embd));
  first_layer_ = params_.size();
  for (int64_t l = 0; l < c.n_layer; ++l) {
    for (int i = 0; i < model::kLayerTensorCount; ++i) {
      const auto t = static_cast<LayerTensor>(i);
      const auto [rows, cols] = layer_shape(c, t);
      params_.push_back(make_param(model::layer_tensor_name(l, t), rows, cols));
    }
  }
}

ParamSet ParamSet::from_model(const model::LlamaModel& m) {
  T2_CHECK(m.tp().size == 1, "training needs the whole model on each rank (tensor-parallel "
           "shards are not supported by the trainer)");
  ParamSet ps(m.config());
  for (Param& p : ps.params_) {
    const model::Weight& w = m.weights().get(p.name);
    T2_CHECK(w.rows == p.rows && w.cols == p.cols, "weight %s is [%lld, %lld], expected [%lld, %lld]",
             p.name.c_str(), static_cast<long long>(w.rows), static_cast<long long>(w.cols),
             static_cast<long long>(p.rows), static_cast<long long>(p.cols));
    tensor::convert_to_f32(w.data, w.dtype, p.w.data(), p.w.size());
  }
  return ps;
}

Param* ParamSet::find(const std::string& name) {
  for (Param& p : params_)
    if (p.name == name) return &p;
  return nullptr;
}

int64_t ParamSet::n_elements() const {
  int64_t n = 0;
  for (const Param& p : params_) n += static_cast<int64_t>(p.size());
  return n;
}

void ParamSet::init_random(uint64_t seed, float std) {
  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = params_[i];
    if (p.cols == 1) {  // norm weights
      std::fill(p.w.begin(), p.w.end(), 1.0f);
      continue;
    }
    Rng rng = Rng::stream(seed, i, RngPurpose::init);
    for (float& v : p.w) v = static_cast<float>(rng.normal()) * std;
  }
}

void ParamSet::allocate_grads() {
  for (Param& p : params_) p.g.assign(p.w.size(), 0.0f);
}

void ParamSet::zero_grads() {
  for (Param& p : params_) std::fill(p.g.begin(), p.g.end(), 0.0f);
}

std::string llama_config_json(const model::LlamaConfig& c, const std::string& torch_dtype) {
  nlohmann::ordered_json j;
  j["architectures"] = {c.architecture.empty() ? "LlamaForCausalLM" : c.architecture};
  j["model_type"] = c.model_type.empty() ? "llama" : c.model_type;
  j["vocab_size"] = c.n_vocab;
  j["hidden_size"] = c.n_embd;
  j["intermediate_size"] = c.n_ff;
  j["num_hidden_layers"] = c.n_layer;
  j["num_attention_heads"] = c.n_head;
  j["num_key_value_heads"] = c.n_head_kv;
  j["head_dim"] = c.head_dim;
  j["max_position_embeddings"] = c.n_ctx_max;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["rope_theta"] = c.rope_theta;
  if (c.rope_type == model::RopeType::llama3) {
    j["rope_scaling"] = {{"rope_type", "llama3"},
                         {"factor", c.rope_factor},
                         {"low_freq_factor", c.rope_low_freq_factor},
                         {"high_freq_factor", c.rope_high_freq_factor},
                         {"original_max_position_embeddings", c.rope_original_ctx}};
  } else {
    j["rope_scaling"] = nullptr;
  }
  j["hidden_act"] = "silu";
  j["attention_bias"] = false;
  j["mlp_bias"] = false;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  auto ids = [](const std::vector<int32_t>& v) -> nlohmann::ordered_json {
    if (v.empty()) return nullptr;
    if (v.size() == 1) return v[0];
    return v;
  };
  j["bos_token_id"] = ids(c.bos_token_ids);
  j["eos_token_id"] = ids(c.eos_token_ids);
  j["torch_dtype"] = torch_dtype;
  return j.dump(2) + "\n";
}

void ParamSet::save_checkpoint(const std::string& dir, tensor::DType dtype) const {
  std::filesystem::create_directories(dir);
  io::SafetensorsWriter writer;
  writer.set_metadata("format", "pt");
  for (const Param& p : params_) {
    std::vector<int64_t> shape = p.cols == 1 ? std::vector<int64_t>{p.rows}
                                             : std::vector<int64_t>{p.rows, p.cols};
    const Param* src = &p;
    writer.add(p.name, dtype, shape, [src, dtype](void* dst, size_t n_bytes) {
      T2_CHECK(n_bytes == src->w.size() * tensor::dtype_size(dtype), "size mismatch writing %s",
               src->name.c_str());
      tensor::convert_from_f32(src->w.data(), dtype, dst, src->w.size());
    });
  }
  writer.write(dir + "/model.safetensors");
  const char* dt = dtype == tensor::DType::f32 ? "float32"
                   : dtype == tensor::DType::bf16 ? "bfloat16" : "float16";
  io::write_file_atomic(dir + "/config.json", llama_config_json(config_, dt));
}

}  // namespace t2::train
