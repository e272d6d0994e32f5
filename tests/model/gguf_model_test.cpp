// LlamaModel from GGUF files against Hugging Face transformers loading the same files
// (tests/reference/gguf, made by tests/reference/make_gguf_fixtures.py): a tiny random Llama written
// the way llama.cpp's converter writes one (q/k rows permuted, blk.N names, tied head), all F32 and
// with mixed quantized types. Also: the config from the metadata, the row un-permutation, and
// refusals of files the engine cannot run.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <tuple>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/file.h"
#include "model/llama/gguf_checkpoint.h"
#include "model/llama/model.h"
#include "model/run_context.h"
#include "tensor/ops.h"

using namespace t2;
using model::LlamaModel;
using model::OutputRows;
using model::RunContext;
using model::SeqChunk;

namespace {

const std::string kDir = "tests/reference/gguf";

struct Expected {
  std::vector<int32_t> ids;
  std::vector<std::vector<double>> logprobs;  // [len][n_vocab]
};

std::vector<Expected> load_expected(const std::string& tag) {
  const auto j = nlohmann::json::parse(io::read_file(kDir + "/tiny_llama_" + tag + ".expected.json"));
  std::vector<Expected> out;
  for (const auto& s : j["sequences"])
    out.push_back({s["ids"].get<std::vector<int32_t>>(),
                   s["logprobs"].get<std::vector<std::vector<double>>>()});
  return out;
}

// Max |Δ| over every log-prob of every position of every sequence (the full distribution).
double max_logprob_error(const std::shared_ptr<const LlamaModel>& model,
                         const std::vector<Expected>& expected) {
  const LlamaModel& m = *model;
  RunContext ctx(model);
  std::vector<SeqChunk> batch;
  for (const auto& e : expected) batch.push_back({ctx.add_sequence(), e.ids, OutputRows::all});
  const int64_t n_out = m.forward(ctx, batch);
  const int64_t nv = m.config().n_vocab;
  std::vector<float> lp(static_cast<size_t>(n_out * nv));
  tensor::log_softmax(m.logits(ctx, 0, n_out), lp.data(), n_out, nv);
  double err = 0;
  int64_t row = 0;
  for (const auto& e : expected)
    for (size_t i = 0; i < e.ids.size(); ++i, ++row)
      for (int64_t t = 0; t < nv; ++t)
        err = std::max(err, std::fabs(lp[row * nv + t] - e.logprobs[i][t]));
  EXPECT_EQ(row, n_out);
  return err;
}

using Case = std::tuple<std::string, tensor::KernelLevel, tensor::DType>;

class GgufVsHf : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override { tensor::set_kernel_level(std::get<1>(GetParam())); }
  void TearDown() override { tensor::set_kernel_level(tensor::KernelLevel::fast); }
};

}  // namespace

TEST_P(GgufVsHf, LogprobsMatchTransformersFromTheSameFile) {
  const auto& [tag, level, dtype] = GetParam();
  model::LoadOptions opt;
  opt.gguf_dtype = dtype;
  auto m = LlamaModel::load(kDir + "/tiny_llama_" + tag + ".gguf", opt);
  const double err = max_logprob_error(m, load_expected(tag));
  // f32: the dequantized values exactly, so float32 rounding only (measured ~1e-6). bf16 rounds
  // the weights (and, in the fast kernels, the activations) to 8 significant bits.
  const double tol = dtype == tensor::DType::f32 ? 1e-4 : 5e-2;
  EXPECT_LT(err, tol);
  std::printf("[%s, %s, %s] max |Δ log-prob| over the vocabulary = %.3g\n", tag.c_str(),
              tensor::kernel_level_name(level), tensor::dtype_name(dtype), err);
}

INSTANTIATE_TEST_SUITE_P(
    TinyLlama, GgufVsHf,
    ::testing::Combine(::testing::Values("f32", "quant"),
                       ::testing::Values(tensor::KernelLevel::reference, tensor::KernelLevel::fast),
                       ::testing::Values(tensor::DType::f32, tensor::DType::bf16)),
    [](const auto& info) {
      return std::get<0>(info.param) + "_" + tensor::kernel_level_name(std::get<1>(info.param)) +
             "_" + tensor::dtype_name(std::get<2>(info.param));
    });

TEST(GgufModel, ConfigFromMetadata) {
  io::GgufFile f(kDir + "/tiny_llama_quant.gguf");
  const auto c = model::llama_config_from_gguf(f);
  EXPECT_EQ(c.n_layer, 2);
  EXPECT_EQ(c.n_embd, 64);
  EXPECT_EQ(c.n_ff, 128);
  EXPECT_EQ(c.n_head, 4);
  EXPECT_EQ(c.n_head_kv, 2);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.n_vocab, 256);
  EXPECT_EQ(c.n_ctx_max, 128);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_NEAR(c.rms_norm_eps, 1e-5, 1e-12);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.bos_token_ids, std::vector<int32_t>{1});
  EXPECT_EQ(c.eos_token_ids, std::vector<int32_t>{2});
}

TEST(GgufModel, WeightTableAndStoredTensors) {
  model::LoadOptions opt;
  opt.gguf_dtype = tensor::DType::f32;
  auto m = LlamaModel::load(kDir + "/tiny_llama_quant.gguf", opt);
  const auto& w = m->weights();
  EXPECT_EQ(&w.lm_head(), &w.embed_tokens());  // tied
  EXPECT_EQ(w.get("model.layers.1.mlp.down_proj.weight").rows, 64);
  EXPECT_EQ(w.get("model.layers.1.mlp.down_proj.weight").cols, 128);
  EXPECT_EQ(w.get("model.layers.0.self_attn.k_proj.weight").dtype, tensor::DType::f32);
  EXPECT_EQ(w.get("model.norm.weight").dtype, tensor::DType::f32);
  ASSERT_NE(w.gguf(), nullptr);
  EXPECT_THROW(w.files(), Error);
  // The fingerprint view: the file's own names, ggml types and raw bytes, sorted by name.
  const auto stored = w.stored_tensors();
  ASSERT_EQ(stored.size(), w.gguf()->tensors().size());
  EXPECT_EQ(stored.front().name, "blk.0.attn_k.weight");
  EXPECT_EQ(stored.front().dtype, "Q4_1");
  EXPECT_EQ(stored.front().shape, (std::vector<int64_t>{64, 32}));
  for (size_t i = 1; i < stored.size(); ++i) EXPECT_LT(stored[i - 1].name, stored[i].name);
}

TEST(GgufModel, UnpermuteRopeRowsInvertsTheConverterPermutation) {
  // 2 heads of head_dim 4, 1 column: Hugging Face rows [h0: a0 a1 b0 b1 | h1: c0 c1 d0 d1] are
  // written by the converter as [a0 b0 a1 b1 | c0 d0 c1 d1].
  const float gguf_rows[8] = {10, 20, 11, 21, 30, 40, 31, 41};
  float hf[8];
  model::unpermute_rope_rows(gguf_rows, hf, 2, 4, 1, sizeof(float));
  const float want[8] = {10, 11, 20, 21, 30, 31, 40, 41};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(hf[i], want[i]) << i;
}

TEST(GgufModel, CanonicalNames) {
  EXPECT_EQ(model::canonical_name_from_gguf("blk.12.ffn_down.weight"),
            "model.layers.12.mlp.down_proj.weight");
  EXPECT_EQ(model::canonical_name_from_gguf("blk.0.attn_output.weight"),
            "model.layers.0.self_attn.o_proj.weight");
  EXPECT_EQ(model::canonical_name_from_gguf("token_embd.weight"), "model.embed_tokens.weight");
  EXPECT_EQ(model::canonical_name_from_gguf("output.weight"), "lm_head.weight");
  EXPECT_EQ(model::canonical_name_from_gguf("output_norm.weight"), "model.norm.weight");
  EXPECT_FALSE(model::canonical_name_from_gguf("blk.x.ffn_down.weight"));
  EXPECT_FALSE(model::canonical_name_from_gguf("blk.1.ffn_down_exps.weight"));
  EXPECT_FALSE(model::canonical_name_from_gguf("rope_freqs.weight"));
}

TEST(GgufModel, RefusesWhatItCannotRun) {
  try {
    LlamaModel::load(kDir + "/quant_blocks.gguf");  // no llama metadata
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("general.architecture"), std::string::npos) << e.what();
  }
  try {
    LlamaModel::load(kDir + "/no_such_model.gguf");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}
