// The engine's commands run as a user runs them (the t2 binary in a subprocess): logprobs and
// generate against the Hugging Face fixtures, init (layout, determinism, loadable), bench --json,
// and errors that exit 1 with a message instead of crashing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "fixture.h"
#include "io/file.h"
#include "io/safetensors.h"
#include "model/llama/model.h"

using namespace t2;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct CmdResult {
  int status;
  std::string out;  // stdout + stderr
};

CmdResult run(const std::string& args) {
  const std::string cmd = std::string(T2_BINARY) + " " + args + " 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  size_t a = 0;
  for (size_t b; (b = s.find('\n', a)) != std::string::npos; a = b + 1)
    if (b > a) out.push_back(s.substr(a, b - a));
  return out;
}

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("t2_cli_" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

}  // namespace

TEST(Cli, LogprobsMatchesTransformers) {
  const std::string name = "llama2_mha_untied_f32_sharded";
  const auto ex = test::load_expected(name);
  TempDir tmp;
  std::string input;
  for (const auto& e : ex) input += json{{"ids", e.ids}}.dump() + "\n";
  io::write_file_atomic(tmp / "in.jsonl", input);
  const CmdResult r = run("logprobs --model " + test::fixture_dir(name) + " --input " + (tmp / "in.jsonl") +
                    " --batch-tokens 7");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), ex.size()) << r.out;
  for (size_t i = 0; i < ex.size(); ++i) {
    const auto lp = json::parse(out[i])["logprobs"].get<std::vector<double>>();
    ASSERT_EQ(lp.size(), ex[i].logprobs.size());
    for (size_t t = 0; t < lp.size(); ++t) EXPECT_NEAR(lp[t], ex[i].logprobs[t], 1e-4);
  }
  // Bad input: the line number is named, exit status 1.
  io::write_file_atomic(tmp / "bad.jsonl", "{\"ids\": [1, 2]}\n{\"idz\": [1]}\n");
  const CmdResult bad = run("logprobs --model " + test::fixture_dir(name) + " --input " + (tmp / "bad.jsonl"));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("bad.jsonl:2"), std::string::npos) << bad.out;
}

TEST(Cli, GenerateGreedyMatchesTransformers) {
  const std::string name = "llama3_gqa_tied_f32";
  const auto ex = test::load_expected(name);
  std::string ids;
  for (int32_t t : ex[0].ids) {
    if (!ids.empty()) ids += ',';
    ids += std::to_string(t);
  }
  const CmdResult r = run("generate --model " + test::fixture_dir(name) + " --ids " + ids +
                    " --max-new-tokens 10 --no-eos");
  ASSERT_EQ(r.status, 0) << r.out;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["ids"].get<std::vector<int32_t>>(), ex[0].greedy);
  EXPECT_EQ(j["finish_reason"], "length");
  EXPECT_EQ(j["prompt_tokens"], ex[0].ids.size());
  EXPECT_EQ(j["generated_tokens"], 10);
  // Errors: unknown option, bad id, prompt beyond the context, missing model.
  EXPECT_EQ(run("generate --model " + test::fixture_dir(name) + " --ids 1 --bogus 3").status, 1);
  const CmdResult bad_id = run("generate --model " + test::fixture_dir(name) + " --ids 1,160");
  EXPECT_EQ(bad_id.status, 1);
  EXPECT_NE(bad_id.out.find("160"), std::string::npos) << bad_id.out;
  std::string long_ids = "1";
  for (int i = 0; i < 300; ++i) long_ids += ",1";
  const CmdResult too_long = run("generate --model " + test::fixture_dir(name) + " --ids " + long_ids);
  EXPECT_EQ(too_long.status, 1);
  EXPECT_NE(too_long.out.find("context limit"), std::string::npos) << too_long.out;
  EXPECT_EQ(run("generate --model /nonexistent --ids 1").status, 1);
  EXPECT_EQ(run("generate --help").status, 0);
  // Out-of-range values are refused before the model loads.
  for (const char* bad : {"--max-new-tokens -1", "--max-new-tokens 0", "--temperature nan",
                          "--temperature -1", "--temperature inf", "--top-p 0", "--top-p 1.5"}) {
    const CmdResult r2 = run("generate --model /nonexistent --ids 1 " + std::string(bad));
    EXPECT_EQ(r2.status, 1) << bad;
    EXPECT_EQ(r2.out.find("/nonexistent"), std::string::npos) << bad << ": " << r2.out;
  }
  // The old spelling of --max-new-tokens is an unknown option.
  const CmdResult old = run("generate --model " + test::fixture_dir(name) + " --ids " + ids +
                            " --max-tokens 3 --no-eos");
  EXPECT_EQ(old.status, 1) << old.out;
  EXPECT_NE(old.out.find("max-tokens"), std::string::npos) << old.out;
}

TEST(Cli, InitWritesLoadableDeterministicCheckpoint) {
  TempDir tmp;
  io::write_file_atomic(tmp / "cfg.json", R"({"architectures": ["LlamaForCausalLM"],
      "vocab_size": 300, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
      "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128,
      "tie_word_embeddings": false, "eos_token_id": 2})");
  ASSERT_EQ(run("init --config " + (tmp / "cfg.json") + " --out " + (tmp / "a") + " --seed 5").status, 0);
  ASSERT_EQ(run("init --config " + (tmp / "cfg.json") + " --out " + (tmp / "b") + " --seed 5").status, 0);
  ASSERT_EQ(run("init --config " + (tmp / "cfg.json") + " --out " + (tmp / "c") + " --seed 6 --dtype f32").status, 0);
  EXPECT_EQ(io::read_file(tmp / "a/model.safetensors"), io::read_file(tmp / "b/model.safetensors"));
  auto m = model::LlamaModel::load(tmp / "c");  // every tensor present with the right shape
  EXPECT_EQ(m->weights().lm_head().dtype, tensor::DType::f32);
  io::SafetensorsFile a(tmp / "a/model.safetensors");
  EXPECT_EQ(a.find("model.layers.1.mlp.down_proj.weight")->dtype, tensor::DType::bf16);
  EXPECT_EQ(a.find("model.layers.1.mlp.down_proj.weight")->shape, (std::vector<int64_t>{64, 96}));
  // Statistics of the draws: N(0, 0.02²) projections, unit norms.
  const auto* w = m->weights().get("model.layers.0.mlp.up_proj.weight").data;
  const float* f = static_cast<const float*>(w);
  double s = 0, s2 = 0;
  for (int i = 0; i < 96 * 64; ++i) s += f[i], s2 += double(f[i]) * f[i];
  EXPECT_NEAR(s / 6144, 0.0, 0.002);
  EXPECT_NEAR(std::sqrt(s2 / 6144), 0.02, 0.002);
  EXPECT_EQ(static_cast<const float*>(m->weights().final_norm().data)[7], 1.0f);
  const CmdResult bad = run("init --config " + (tmp / "cfg.json") + " --out " + (tmp / "d") + " --dtype i8");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("--dtype"), std::string::npos);
}

TEST(Cli, BenchJsonHasTheIssueFields) {
  const CmdResult r = run("bench --model " + test::fixture_dir("llama3_gqa_tied_f32") +
                    " --prompt-tokens 16 --gen-tokens 4 --batch 1,3 --threads 1 --json --score-tokens 8");
  ASSERT_EQ(r.status, 0) << r.out;
  const json j = json::parse(lines(r.out).back());
  EXPECT_GT(j["prefill_tokens_per_s"].get<double>(), 0);
  ASSERT_EQ(j["decode"].size(), 2u);
  EXPECT_EQ(j["decode"][1]["batch"], 3);
  EXPECT_GT(j["decode"][1]["tokens_per_s"].get<double>(), 0);
  EXPECT_GT(j["peak_rss_bytes"].get<size_t>(), 0u);
  EXPECT_EQ(j["weight_bytes"].get<size_t>(), 4u * (160 * 64 + 2 * (64 * 64 * 2 + 32 * 64 * 2 + 3 * 64 * 136 + 128) + 64));
  EXPECT_GT(j["score_tokens_per_s"].get<double>(), 0);
}
