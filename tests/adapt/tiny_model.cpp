// The tiny random checkpoint writer; see tiny_model.h.
#include "tiny_model.h"

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/rng.h"
#include "io/file.h"
#include "io/safetensors.h"

namespace t2::adapt::test {

void write_tiny_model(const std::string& dir, const TinyModelOptions& o) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const int64_t n_vocab = 128256, hd = o.n_embd / o.n_head;
  nlohmann::json cfg = {
      {"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"},
      {"vocab_size", n_vocab}, {"hidden_size", o.n_embd}, {"intermediate_size", o.n_ff},
      {"num_hidden_layers", o.n_layer}, {"num_attention_heads", o.n_head},
      {"num_key_value_heads", o.n_head_kv}, {"head_dim", hd},
      {"max_position_embeddings", o.n_ctx}, {"rms_norm_eps", 1e-5}, {"rope_theta", 500000.0},
      {"tie_word_embeddings", true}, {"bos_token_id", 128000},
      {"eos_token_id", {128001, 128009}}, {"torch_dtype", "float32"}};
  io::write_file_atomic(dir + "/config.json", cfg.dump(2) + "\n");
  nlohmann::json gen = {{"bos_token_id", 128000}, {"eos_token_id", {128001, 128009}}};
  io::write_file_atomic(dir + "/generation_config.json", gen.dump(2) + "\n");
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
    fs::copy_file(fs::path(o.tokenizer_dir) / f, fs::path(dir) / f, fs::copy_options::overwrite_existing);

  io::SafetensorsWriter w;
  uint64_t item = 0;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, bool norm) {
    const uint64_t it = item++;
    const float scale = o.scale;
    w.add(name, io::DType::f32, shape, [it, shape, norm, scale, seed = o.seed](void* dst, size_t n_bytes) {
      float* p = static_cast<float*>(dst);
      const size_t n = n_bytes / sizeof(float);
      Rng rng = Rng::stream(seed, it, RngPurpose::init);
      for (size_t i = 0; i < n; ++i)
        p[i] = norm ? 1.0f + 0.1f * static_cast<float>(rng.normal())
                    : scale * static_cast<float>(rng.normal());
    });
  };
  const int64_t e = o.n_embd, f = o.n_ff, q = o.n_head * hd, kv = o.n_head_kv * hd;
  add("model.embed_tokens.weight", {n_vocab, e}, false);
  for (int l = 0; l < o.n_layer; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {e}, true);
    add(p + "self_attn.q_proj.weight", {q, e}, false);
    add(p + "self_attn.k_proj.weight", {kv, e}, false);
    add(p + "self_attn.v_proj.weight", {kv, e}, false);
    add(p + "self_attn.o_proj.weight", {e, q}, false);
    add(p + "post_attention_layernorm.weight", {e}, true);
    add(p + "mlp.gate_proj.weight", {f, e}, false);
    add(p + "mlp.up_proj.weight", {f, e}, false);
    add(p + "mlp.down_proj.weight", {e, f}, false);
  }
  add("model.norm.weight", {e}, true);
  w.write(dir + "/model.safetensors");
}

}  // namespace t2::adapt::test
