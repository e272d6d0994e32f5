// The tiny random LLaVA-NeXT writer; see tiny_llava.h.
#include "tiny_llava.h"

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/rng.h"
#include "io/file.h"
#include "io/safetensors.h"

namespace t2::adapt::test {

namespace {

constexpr const char* kRenamedToken = "<|reserved_special_token_247|>";  // id 1535 in the mini tokenizer

}  // namespace

void write_tiny_llava(const std::string& dir, const TinyLlavaOptions& o) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const int64_t n_vocab = 1536, hd = o.n_embd / o.n_head;
  const int64_t vd = 32, vff = 64, v_layers = 3, tile = 28, patch = 7;
  const int64_t n_pos = (tile / patch) * (tile / patch) + 1;
  nlohmann::json text = {
      {"model_type", "llama"}, {"vocab_size", n_vocab}, {"hidden_size", o.n_embd},
      {"intermediate_size", o.n_ff}, {"num_hidden_layers", o.n_layer},
      {"num_attention_heads", o.n_head}, {"num_key_value_heads", o.n_head_kv}, {"head_dim", hd},
      {"max_position_embeddings", 4096}, {"rms_norm_eps", 1e-5}, {"rope_theta", 10000.0},
      {"tie_word_embeddings", false}, {"bos_token_id", 1280}, {"eos_token_id", {1281, 1289}}};
  nlohmann::json vision = {
      {"model_type", "clip_vision_model"}, {"hidden_act", "quick_gelu"}, {"hidden_size", vd},
      {"image_size", tile}, {"intermediate_size", vff}, {"layer_norm_eps", 1e-5},
      {"num_attention_heads", 4}, {"num_channels", 3}, {"num_hidden_layers", v_layers},
      {"patch_size", patch}, {"projection_dim", 16}};
  nlohmann::json cfg = {
      {"architectures", {"LlavaNextForConditionalGeneration"}}, {"model_type", "llava_next"},
      {"image_grid_pinpoints", {{28, 56}, {56, 28}, {56, 56}, {84, 28}, {28, 84}}},
      {"image_token_index", kTinyLlavaImageToken}, {"multimodal_projector_bias", true},
      {"projector_hidden_act", "gelu"}, {"tie_word_embeddings", false},
      {"vision_feature_layer", -2}, {"vision_feature_select_strategy", "default"},
      {"text_config", text}, {"vision_config", vision}, {"torch_dtype", "float32"}};
  io::write_file_atomic(dir + "/config.json", cfg.dump(2) + "\n");
  nlohmann::json gen = {{"bos_token_id", 1280}, {"eos_token_id", {1281, 1289}}};
  io::write_file_atomic(dir + "/generation_config.json", gen.dump(2) + "\n");
  std::string tok = io::read_file(o.tokenizer_dir + "/tokenizer.json");
  const size_t at = tok.find(kRenamedToken);
  T2_CHECK(at != std::string::npos && tok.find(kRenamedToken, at + 1) == std::string::npos,
           "%s/tokenizer.json: expected %s exactly once (the token renamed to <image>)",
           o.tokenizer_dir.c_str(), kRenamedToken);
  tok.replace(at, std::string(kRenamedToken).size(), "<image>");
  io::write_file_atomic(dir + "/tokenizer.json", tok);
  fs::copy_file(fs::path(o.tokenizer_dir) / "tokenizer_config.json",
                fs::path(dir) / "tokenizer_config.json", fs::copy_options::overwrite_existing);

  io::SafetensorsWriter w;
  uint64_t item = 0;
  // kind: 0 random (scale s), 1 norm weight (1 + 0.1 N), 2 norm bias / bias (0.1 N)
  auto add = [&](const std::string& name, std::vector<int64_t> shape, int kind, float s) {
    const uint64_t it = item++;
    w.add(name, io::DType::f32, shape, [it, kind, s, seed = o.seed](void* dst, size_t n_bytes) {
      float* p = static_cast<float*>(dst);
      Rng rng = Rng::stream(seed, it, RngPurpose::init);
      for (size_t i = 0; i < n_bytes / sizeof(float); ++i) {
        const auto r = static_cast<float>(rng.normal());
        p[i] = kind == 1 ? 1.0f + 0.1f * r : kind == 2 ? 0.1f * r : s * r;
      }
    });
  };
  const int64_t e = o.n_embd, f = o.n_ff, q = o.n_head * hd, kv = o.n_head_kv * hd;
  const std::string lm = "language_model.model.";
  add(lm + "embed_tokens.weight", {n_vocab, e}, 0, o.scale);
  for (int l = 0; l < o.n_layer; ++l) {
    const std::string p = lm + "layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {e}, 1, 0);
    add(p + "self_attn.q_proj.weight", {q, e}, 0, o.scale);
    add(p + "self_attn.k_proj.weight", {kv, e}, 0, o.scale);
    add(p + "self_attn.v_proj.weight", {kv, e}, 0, o.scale);
    add(p + "self_attn.o_proj.weight", {e, q}, 0, o.scale);
    add(p + "post_attention_layernorm.weight", {e}, 1, 0);
    add(p + "mlp.gate_proj.weight", {f, e}, 0, o.scale);
    add(p + "mlp.up_proj.weight", {f, e}, 0, o.scale);
    add(p + "mlp.down_proj.weight", {e, f}, 0, o.scale);
  }
  add(lm + "norm.weight", {e}, 1, 0);
  add("language_model.lm_head.weight", {n_vocab, e}, 0, o.scale);
  const std::string vt = "vision_tower.vision_model.";
  const float vs = 0.2f;
  add(vt + "embeddings.class_embedding", {vd}, 0, vs);
  add(vt + "embeddings.patch_embedding.weight", {vd, 3, patch, patch}, 0, vs);
  add(vt + "embeddings.position_embedding.weight", {n_pos, vd}, 0, vs);
  add(vt + "pre_layrnorm.weight", {vd}, 1, 0);
  add(vt + "pre_layrnorm.bias", {vd}, 2, 0);
  for (int l = 0; l < v_layers; ++l) {
    const std::string p = vt + "encoder.layers." + std::to_string(l) + ".";
    for (const char* n : {"layer_norm1", "layer_norm2"}) {
      add(p + n + ".weight", {vd}, 1, 0);
      add(p + n + ".bias", {vd}, 2, 0);
    }
    add(p + "mlp.fc1.weight", {vff, vd}, 0, vs);
    add(p + "mlp.fc1.bias", {vff}, 2, 0);
    add(p + "mlp.fc2.weight", {vd, vff}, 0, vs);
    add(p + "mlp.fc2.bias", {vd}, 2, 0);
    for (const char* n : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      add(p + "self_attn." + n + ".weight", {vd, vd}, 0, vs);
      add(p + "self_attn." + n + ".bias", {vd}, 2, 0);
    }
  }
  add(vt + "post_layernorm.weight", {vd}, 1, 0);
  add(vt + "post_layernorm.bias", {vd}, 2, 0);
  add("multi_modal_projector.linear_1.weight", {e, vd}, 0, vs);
  add("multi_modal_projector.linear_1.bias", {e}, 2, 0);
  add("multi_modal_projector.linear_2.weight", {e, e}, 0, vs);
  add("multi_modal_projector.linear_2.bias", {e}, 2, 0);
  add("image_newline", {e}, 0, 1.0f);
  w.write(dir + "/model.safetensors");
}

}  // namespace t2::adapt::test
