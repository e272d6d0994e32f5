// Hyperparameters of a Llama-family checkpoint (Llama 2/3/3.1/3.2, Mistral) read from a Hugging Face
// config.json, plus generation_config.json when present. Both the classic keys (rope_theta,
// rope_scaling, torch_dtype) and the transformers ≥ 5 keys (rope_parameters, dtype) are accepted.
// Anything the engine cannot run faithfully (other architectures, rope types, biases, activations)
// is rejected here with a message naming the file and key, before any weight is touched.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace t2::model {

enum class RopeType { default_, llama3 };

struct LlamaConfig {
  std::string architecture;  // "LlamaForCausalLM" or "MistralForCausalLM"
  std::string model_type;    // "llama" or "mistral"
  int64_t n_vocab = 0;
  int64_t n_embd = 0;        // hidden_size
  int64_t n_ff = 0;          // intermediate_size
  int64_t n_layer = 0;       // num_hidden_layers
  int64_t n_head = 0;        // num_attention_heads
  int64_t n_head_kv = 0;     // num_key_value_heads (defaults to n_head)
  int64_t head_dim = 0;      // head_dim (defaults to n_embd / n_head)
  int64_t n_ctx_max = 0;     // max_position_embeddings
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeType rope_type = RopeType::default_;
  // llama3 rope scaling (used when rope_type == llama3)
  double rope_factor = 1.0;
  double rope_low_freq_factor = 1.0;
  double rope_high_freq_factor = 4.0;
  int64_t rope_original_ctx = 8192;
  // Per-frequency divisors [head_dim / 2] (GGUF rope_freqs.weight); empty = none.
  std::vector<float> rope_freq_factors;
  int64_t sliding_window = 0;  // 0 = none (Mistral v0.1 sets 4096)
  bool tie_word_embeddings = false;
  std::vector<int32_t> bos_token_ids;  // usually one
  std::vector<int32_t> eos_token_ids;  // int or list in the file
  std::string torch_dtype;             // informative ("bfloat16", ...), may be empty

  // generation_config.json (when present; otherwise the defaults below)
  double gen_temperature = 1.0;
  double gen_top_p = 1.0;
  bool gen_do_sample = false;

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }
};

// Parses config.json text; `source` names the file in errors. Throws t2::Error.
LlamaConfig parse_llama_config(const std::string& json_text, const std::string& source);

// Reads DIR/config.json and, when present, DIR/generation_config.json (whose eos/bos ids, when
// given, take precedence as in Hugging Face generate()).
LlamaConfig load_llama_config(const std::string& dir);
// Applies DIR/generation_config.json, when present, to c (eos/bos ids, temperature, top_p,
// do_sample); nothing when absent.
void apply_generation_config(const std::string& dir, LlamaConfig& c);

// RoPE inverse frequencies [head_dim / 2], with llama3 scaling applied when configured and divided
// by rope_freq_factors when given. Computed
// as Hugging Face does (float32 base powers) so angles match its cos/sin tables.
std::vector<float> rope_inv_freq(const LlamaConfig& config);

}  // namespace t2::model
