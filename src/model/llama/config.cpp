// config.json / generation_config.json parsing and RoPE frequency tables for Llama-family models.
#include "model/llama/config.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/file.h"
#include "io/jsonl.h"  // parse_json
#include "model/config_fields.h"

namespace t2::model {

namespace {

using json = nlohmann::json;

// bos/eos ids: an int, a list of ints, or null.
std::vector<int32_t> get_ids(const json& j, const char* key, const std::string& source) {
  std::vector<int32_t> out;
  if (!j.contains(key) || j[key].is_null()) return out;
  const json& v = j[key];
  if (v.is_number_integer()) {
    out.push_back(v.get<int32_t>());
  } else {
    T2_CHECK(v.is_array(), "%s: \"%s\" must be an integer or a list of integers, found %s",
             source.c_str(), key, v.dump().c_str());
    for (const auto& e : v) {
      T2_CHECK(e.is_number_integer(), "%s: \"%s\" must contain integers, found %s",
               source.c_str(), key, e.dump().c_str());
      out.push_back(e.get<int32_t>());
    }
  }
  return out;
}

void parse_rope(const json& j, const std::string& source, LlamaConfig& c) {
  // Classic: rope_theta + rope_scaling; transformers >= 5: rope_parameters holding both.
  c.rope_theta = get_num(j, "rope_theta", source, 10000.0);
  json scaling;
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
    scaling = j["rope_parameters"];
    c.rope_theta = get_num(scaling, "rope_theta", source, c.rope_theta);
  } else if (j.contains("rope_scaling") && !j["rope_scaling"].is_null()) {
    scaling = j["rope_scaling"];
    T2_CHECK(scaling.is_object(), "%s: \"rope_scaling\" must be an object or null", source.c_str());
  }
  if (scaling.is_null()) return;
  std::string type = "default";
  if (scaling.contains("rope_type")) type = scaling["rope_type"].get<std::string>();
  else if (scaling.contains("type")) type = scaling["type"].get<std::string>();
  if (type == "default") return;
  T2_CHECK(type == "llama3",
           "%s: unsupported rope type \"%s\" (supported: default, llama3)", source.c_str(),
           type.c_str());
  c.rope_type = RopeType::llama3;
  c.rope_factor = get_num(scaling, "factor", source, 8.0);
  c.rope_low_freq_factor = get_num(scaling, "low_freq_factor", source, 1.0);
  c.rope_high_freq_factor = get_num(scaling, "high_freq_factor", source, 4.0);
  c.rope_original_ctx = get_int(scaling, "original_max_position_embeddings", source, false, 8192);
  T2_CHECK(c.rope_factor > 0 && c.rope_high_freq_factor > c.rope_low_freq_factor &&
               c.rope_original_ctx > 0,
           "%s: llama3 rope scaling needs factor > 0, high_freq_factor > low_freq_factor and "
           "original_max_position_embeddings > 0",
           source.c_str());
}

}  // namespace

LlamaConfig parse_llama_config(const std::string& json_text, const std::string& source) {
  const json j = io::parse_json(json_text, source);
  T2_CHECK(j.is_object(), "%s: expected a JSON object", source.c_str());
  LlamaConfig c;
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty())
    c.architecture = j["architectures"][0].get<std::string>();
  if (j.contains("model_type") && j["model_type"].is_string())
    c.model_type = j["model_type"].get<std::string>();
  const bool arch_ok = c.architecture == "LlamaForCausalLM" ||
                       c.architecture == "MistralForCausalLM" ||
                       (c.architecture.empty() && (c.model_type == "llama" || c.model_type == "mistral"));
  T2_CHECK(arch_ok,
           "%s: unsupported architecture \"%s\" (model_type \"%s\"); supported: "
           "LlamaForCausalLM, MistralForCausalLM",
           source.c_str(), c.architecture.c_str(), c.model_type.c_str());
  if (c.architecture.empty())
    c.architecture = c.model_type == "mistral" ? "MistralForCausalLM" : "LlamaForCausalLM";
  if (c.model_type.empty()) c.model_type = c.architecture == "MistralForCausalLM" ? "mistral" : "llama";

  c.n_vocab = get_int(j, "vocab_size", source, true);
  c.n_embd = get_int(j, "hidden_size", source, true);
  c.n_ff = get_int(j, "intermediate_size", source, true);
  c.n_layer = get_int(j, "num_hidden_layers", source, true);
  c.n_head = get_int(j, "num_attention_heads", source, true);
  c.n_head_kv = get_int(j, "num_key_value_heads", source, false, c.n_head);
  T2_CHECK(c.n_vocab > 0 && c.n_embd > 0 && c.n_ff > 0 && c.n_layer > 0 && c.n_head > 0 &&
               c.n_head_kv > 0,
           "%s: vocab_size, hidden_size, intermediate_size, num_hidden_layers, "
           "num_attention_heads and num_key_value_heads must be positive",
           source.c_str());
  T2_CHECK(c.n_head % c.n_head_kv == 0,
           "%s: num_attention_heads (%lld) must be a multiple of num_key_value_heads (%lld)",
           source.c_str(), static_cast<long long>(c.n_head), static_cast<long long>(c.n_head_kv));
  const bool has_head_dim = j.contains("head_dim") && !j["head_dim"].is_null();
  if (!has_head_dim) {
    T2_CHECK(c.n_embd % c.n_head == 0,
             "%s: hidden_size (%lld) is not divisible by num_attention_heads (%lld) and no "
             "head_dim is given",
             source.c_str(), static_cast<long long>(c.n_embd), static_cast<long long>(c.n_head));
  }
  c.head_dim = get_int(j, "head_dim", source, false, c.n_embd / c.n_head);
  T2_CHECK(c.head_dim > 0 && c.head_dim % 2 == 0, "%s: head_dim must be positive and even, found %lld",
           source.c_str(), static_cast<long long>(c.head_dim));
  c.n_ctx_max = get_int(j, "max_position_embeddings", source, false, 2048);
  c.rms_norm_eps = get_num(j, "rms_norm_eps", source, 1e-6);
  c.tie_word_embeddings =
      j.contains("tie_word_embeddings") && j["tie_word_embeddings"].is_boolean() &&
      j["tie_word_embeddings"].get<bool>();
  c.sliding_window = get_int(j, "sliding_window", source, false, 0);
  c.bos_token_ids = get_ids(j, "bos_token_id", source);
  c.eos_token_ids = get_ids(j, "eos_token_id", source);
  if (j.contains("torch_dtype") && j["torch_dtype"].is_string())
    c.torch_dtype = j["torch_dtype"].get<std::string>();
  else if (j.contains("dtype") && j["dtype"].is_string())
    c.torch_dtype = j["dtype"].get<std::string>();
  parse_rope(j, source, c);

  if (j.contains("hidden_act")) {
    const std::string act = j["hidden_act"].get<std::string>();
    T2_CHECK(act == "silu", "%s: unsupported hidden_act \"%s\" (Llama-family models use silu)",
             source.c_str(), act.c_str());
  }
  for (const char* key : {"attention_bias", "mlp_bias"}) {
    T2_CHECK(!(j.contains(key) && j[key].is_boolean() && j[key].get<bool>()),
             "%s: \"%s\": true is not supported (Llama-family projections have no bias)",
             source.c_str(), key);
  }
  for (int32_t id : c.eos_token_ids)
    T2_CHECK(id >= 0 && id < c.n_vocab, "%s: eos_token_id %d is outside the vocabulary (%lld)",
             source.c_str(), id, static_cast<long long>(c.n_vocab));
  return c;
}

void apply_generation_config(const std::string& dir, LlamaConfig& c) {
  const std::string gen_path = (std::filesystem::path(dir) / "generation_config.json").string();
  if (!io::file_exists(gen_path)) return;
  const json g = io::parse_json(io::read_file(gen_path), gen_path);
  T2_CHECK(g.is_object(), "%s: expected a JSON object", gen_path.c_str());
  auto eos = get_ids(g, "eos_token_id", gen_path);
  if (!eos.empty()) c.eos_token_ids = eos;
  auto bos = get_ids(g, "bos_token_id", gen_path);
  if (!bos.empty()) c.bos_token_ids = bos;
  c.gen_temperature = get_num(g, "temperature", gen_path, c.gen_temperature);
  c.gen_top_p = get_num(g, "top_p", gen_path, c.gen_top_p);
  if (g.contains("do_sample") && g["do_sample"].is_boolean()) c.gen_do_sample = g["do_sample"];
}

LlamaConfig load_llama_config(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string path = (fs::path(dir) / "config.json").string();
  T2_CHECK(io::file_exists(path), "%s: no config.json (is this a Hugging Face model directory?)",
           dir.c_str());
  LlamaConfig c = parse_llama_config(io::read_file(path), path);
  apply_generation_config(dir, c);
  return c;
}

std::vector<float> rope_inv_freq(const LlamaConfig& c) {
  const int64_t half = c.head_dim / 2;
  std::vector<float> inv(half);
  for (int64_t i = 0; i < half; ++i) {
    const float expo = static_cast<float>(2 * i) / static_cast<float>(c.head_dim);
    inv[i] = 1.0f / std::pow(static_cast<float>(c.rope_theta), expo);
  }
  if (!c.rope_freq_factors.empty()) {
    T2_CHECK(static_cast<int64_t>(c.rope_freq_factors.size()) == half,
             "rope frequency factors: %zu values for head_dim %lld (expected head_dim / 2)",
             c.rope_freq_factors.size(), static_cast<long long>(c.head_dim));
    for (int64_t i = 0; i < half; ++i) inv[i] /= c.rope_freq_factors[i];
  }
  if (c.rope_type != RopeType::llama3) return inv;
  const double old_ctx = static_cast<double>(c.rope_original_ctx);
  const double low_wavelen = old_ctx / c.rope_low_freq_factor;
  const double high_wavelen = old_ctx / c.rope_high_freq_factor;
  for (int64_t i = 0; i < half; ++i) {
    const float f = inv[i];
    const double wavelen = 2.0 * M_PI / f;
    if (wavelen < high_wavelen) continue;  // high frequencies unchanged
    const float scaled = f / static_cast<float>(c.rope_factor);
    if (wavelen > low_wavelen) {
      inv[i] = scaled;  // low frequencies divided by factor
    } else {  // medium: interpolate
      const float smooth = static_cast<float>((old_ctx / wavelen - c.rope_low_freq_factor) /
                                              (c.rope_high_freq_factor - c.rope_low_freq_factor));
      inv[i] = (1.0f - smooth) * scaled + smooth * f;
    }
  }
  return inv;
}

}  // namespace t2::model
