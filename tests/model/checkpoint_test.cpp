// Loading checkpoints: config.json variants (classic and transformers-5 keys, generation_config),
// the RoPE table, and every bad-checkpoint case (missing tensor, shape vs config, unsupported
// architecture or rope type, missing head) with the message naming what is wrong.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "fixture.h"
#include "io/file.h"
#include "io/safetensors.h"
#include "model/llama/model.h"
#include "model/weight_names.h"

using namespace t2;
using namespace t2::model;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// A writable copy of a fixture directory, removed at the end of the test.
class FixtureCopy {
 public:
  explicit FixtureCopy(const std::string& name) {
    dir_ = fs::temp_directory_path() / ("t2_ckpt_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(dir_);
    fs::copy(test::fixture_dir(name), dir_, fs::copy_options::recursive);
  }
  ~FixtureCopy() { fs::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  json config() const { return json::parse(io::read_file(dir() + "/config.json")); }
  void set_config(const json& j) const { io::write_file_atomic(dir() + "/config.json", j.dump(2)); }

 private:
  fs::path dir_;
};

void expect_load_error(const std::string& dir, std::initializer_list<const char*> needles) {
  try {
    LlamaModel::load(dir);
    FAIL() << "expected the load of " << dir << " to fail";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const char* n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
  }
}

}  // namespace

TEST(Config, ParsesClassicLlama32Config) {
  // The keys of meta-llama/Llama-3.2-1B's config.json (classic rope_theta + rope_scaling form).
  const char* text = R"({
    "architectures": ["LlamaForCausalLM"], "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
    "head_dim": 64, "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 8192,
    "max_position_embeddings": 131072, "model_type": "llama", "num_attention_heads": 32,
    "num_hidden_layers": 16, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
    "vocab_size": 128256})";
  const LlamaConfig c = parse_llama_config(text, "config.json");
  EXPECT_EQ(c.n_layer, 16);
  EXPECT_EQ(c.n_head_kv, 8);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.rope_type, RopeType::llama3);
  EXPECT_EQ(c.rope_factor, 32.0);
  EXPECT_EQ(c.rope_original_ctx, 8192);
  EXPECT_EQ(c.rope_theta, 500000.0);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int32_t>{128001, 128008, 128009}));
  EXPECT_EQ(c.bos_token_ids, (std::vector<int32_t>{128000}));
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  // RoPE table: high frequencies untouched, low ones divided by the factor, medium interpolated.
  const auto inv = rope_inv_freq(c);
  ASSERT_EQ(inv.size(), 32u);
  EXPECT_FLOAT_EQ(inv[0], 1.0f);
  const double base31 = std::pow(500000.0, -62.0 / 64.0);
  EXPECT_NEAR(inv[31], base31 / 32.0, 1e-6 * base31);  // wavelength ≫ 8192
  const double base10 = std::pow(500000.0, -20.0 / 64.0);
  EXPECT_NEAR(inv[10], base10, 1e-6 * base10);  // wavelength 2π/f ≈ 380 < 8192/4: unchanged
  int medium = 0;
  for (int i = 0; i < 32; ++i) {
    const double f = std::pow(500000.0, -2.0 * i / 64.0), wl = 2 * M_PI / f;
    if (wl >= 2048 && wl <= 8192) {
      ++medium;
      EXPECT_GT(inv[i], f / 32.0 * 1.0001);
      EXPECT_LT(inv[i], f * 0.9999);
    }
  }
  EXPECT_GT(medium, 0);
  // Defaults: no head_dim → hidden / heads; kv heads default to heads (Llama 2 style).
  const LlamaConfig l2 = parse_llama_config(
      R"({"architectures": ["LlamaForCausalLM"], "vocab_size": 32000, "hidden_size": 4096,
          "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32,
          "eos_token_id": 2, "rope_scaling": null})", "l2");
  EXPECT_EQ(l2.head_dim, 128);
  EXPECT_EQ(l2.n_head_kv, 32);
  EXPECT_EQ(l2.rope_type, RopeType::default_);
  EXPECT_FALSE(l2.tie_word_embeddings);
}

TEST(Config, RejectsUnsupportedModels) {
  const std::string base = R"("vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
      "num_hidden_layers": 1, "num_attention_heads": 2)";
  auto err = [&](const std::string& extra) -> std::string {
    try {
      parse_llama_config("{" + base + "," + extra + "}", "cfg.json");
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(err(R"("architectures": ["GPT2LMHeadModel"])").find("unsupported architecture \"GPT2LMHeadModel\""), std::string::npos);
  EXPECT_NE(err(R"("architectures": ["LlamaForCausalLM"], "rope_scaling": {"rope_type": "yarn", "factor": 4})").find("unsupported rope type \"yarn\""), std::string::npos);
  EXPECT_NE(err(R"("architectures": ["LlamaForCausalLM"], "hidden_act": "gelu")").find("gelu"), std::string::npos);
  EXPECT_NE(err(R"("architectures": ["LlamaForCausalLM"], "attention_bias": true)").find("attention_bias"), std::string::npos);
  EXPECT_NE(err(R"("architectures": ["LlamaForCausalLM"], "num_key_value_heads": 3)").find("multiple"), std::string::npos);
  EXPECT_NE(err(R"("architectures": ["LlamaForCausalLM"], "eos_token_id": 50)").find("eos_token_id 50"), std::string::npos);
  EXPECT_THROW(parse_llama_config("{\"vocab_size\": ", "x"), Error);
  EXPECT_THROW(parse_llama_config(R"({"architectures": ["LlamaForCausalLM"]})", "x"), Error);
}

TEST(Checkpoint, GenerationConfigOverridesEos) {
  FixtureCopy f("llama2_mha_untied_f32_sharded");
  io::write_file_atomic(f.dir() + "/generation_config.json",
                        R"({"eos_token_id": [2, 7], "temperature": 0.6, "top_p": 0.9, "do_sample": true})");
  auto m = LlamaModel::load(f.dir());
  EXPECT_EQ(m->config().eos_token_ids, (std::vector<int32_t>{2, 7}));
  EXPECT_FLOAT_EQ(m->config().gen_top_p, 0.9f);
  EXPECT_TRUE(m->config().gen_do_sample);
}

TEST(Checkpoint, WeightTableUsesCanonicalNamesAndMapsWithoutCopy) {
  auto m = LlamaModel::load(test::fixture_dir("llama3_gqa_untied_bf16_sharded"));
  const auto& w = m->weights();
  const Weight& g = w.get(layer_tensor_name(1, LayerTensor::gate_proj));
  EXPECT_EQ(g.name, "model.layers.1.mlp.gate_proj.weight");
  EXPECT_EQ(g.dtype, DType::bf16);
  EXPECT_EQ(g.rows, 136);
  EXPECT_EQ(g.cols, 64);
  // The view points into the mapped file.
  const io::TensorEntry& e = w.files().get(g.name);
  EXPECT_EQ(g.data, e.data);
  EXPECT_EQ(w.lm_head().name, "lm_head.weight");
  auto ref = parse_layer_tensor_name("model.layers.12.self_attn.o_proj.weight");
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(ref->layer, 12);
  EXPECT_EQ(ref->tensor, LayerTensor::o_proj);
  EXPECT_FALSE(parse_layer_tensor_name("model.layers.x.mlp.up_proj.weight").has_value());
  EXPECT_FALSE(parse_layer_tensor_name("model.norm.weight").has_value());
  auto tied = LlamaModel::load(test::fixture_dir("llama3_gqa_tied_f32"));
  EXPECT_EQ(&tied->weights().lm_head(), &tied->weights().embed_tokens());
}

TEST(Checkpoint, RejectsMissingTensor) {
  FixtureCopy f("llama3_gqa_tied_f32");
  const std::string path = f.dir() + "/model.safetensors";
  const std::string dropped = "model.layers.1.mlp.up_proj.weight";
  {
    io::SafetensorsFile in(test::fixture_dir("llama3_gqa_tied_f32") + "/model.safetensors");
    io::SafetensorsWriter out;
    for (const auto& t : in.tensors())
      if (t.name != dropped) out.add_bytes(t.name, t.dtype, t.shape, t.data, t.n_bytes);
    out.write(path);
  }
  expect_load_error(f.dir(), {"'model.layers.1.mlp.up_proj.weight'", "missing"});
}

TEST(Checkpoint, RejectsShapeThatContradictsConfig) {
  FixtureCopy f("llama2_mha_untied_f32_sharded");
  json c = f.config();
  c["intermediate_size"] = 128;
  f.set_config(c);
  expect_load_error(f.dir(), {"model.layers.0.mlp.gate_proj.weight", "[136, 64]", "[128, 64]",
                              ".safetensors"});
}

TEST(Checkpoint, RejectsUnsupportedArchitectureAndRope) {
  FixtureCopy f("llama3_gqa_tied_f32");
  json c = f.config();
  c["architectures"] = {"Qwen2ForCausalLM"};
  c["model_type"] = "qwen2";
  f.set_config(c);
  expect_load_error(f.dir(), {"config.json", "unsupported architecture \"Qwen2ForCausalLM\""});
  c = f.config();
  c["architectures"] = {"LlamaForCausalLM"};
  c["rope_parameters"]["rope_type"] = "dynamic";
  f.set_config(c);
  expect_load_error(f.dir(), {"unsupported rope type \"dynamic\""});
}

TEST(Checkpoint, RejectsUntiedWithoutHead) {
  FixtureCopy f("llama3_gqa_tied_f32");
  json c = f.config();
  c["tie_word_embeddings"] = false;
  f.set_config(c);
  expect_load_error(f.dir(), {"lm_head.weight", "tie_word_embeddings"});
}

TEST(Checkpoint, RejectsMissingDirectoryAndConfig) {
  expect_load_error("/nonexistent/model", {"/nonexistent/model", "config.json"});
  FixtureCopy f("llama3_gqa_tied_f32");
  fs::remove(f.dir() + "/model.safetensors");
  expect_load_error(f.dir(), {"safetensors"});
}
