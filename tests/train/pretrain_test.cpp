// Pretraining: the optimiser's arithmetic, the schedule, corpus parsing errors, and a short run on
// a learnable synthetic corpus whose checkpoint the inference engine (an independent forward pass)
// loads and scores with the same log-probabilities as the trainer.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "base/error.h"
#include "io/file.h"
#include "model/llama/model.h"
#include "model/run_context.h"
#include "tensor/ops.h"
#include "train/adam.h"
#include "train/decoder.h"
#include "train/pretrain.h"

namespace t2::train {
namespace {

std::string temp_dir(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() / ("t2_train_" + name + "_" +
                                                            std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

TEST(Adam, FirstStepsMatchClosedForm) {
  AdamOptions o;
  o.weight_decay = 0.1;
  Adam adam(o, {3}, {true});
  std::vector<float> w = {1.0f, -2.0f, 0.5f}, g = {0.3f, -0.01f, 0.0f};
  float* wp = w.data();
  const float* gp = g.data();
  adam.step(std::span<float* const>(&wp, 1), std::span<const float* const>(&gp, 1), 0.01);
  // Step 1: m̂ = g, v̂ = g², update = g / (|g| + eps) + wd · w.
  EXPECT_NEAR(w[0], 1.0 - 0.01 * (0.3 / (0.3 + 1e-8) + 0.1 * 1.0), 1e-6);
  EXPECT_NEAR(w[1], -2.0 - 0.01 * (-0.01 / (0.01 + 1e-8) + 0.1 * -2.0), 1e-6);
  EXPECT_NEAR(w[2], 0.5 - 0.01 * 0.1 * 0.5, 1e-7);
  // A checkpoint stores the moments and the step count; an optimiser given them goes on exactly
  // as the original does.
  Adam other(o, {3}, {true});
  other.first_moments() = adam.first_moments();
  other.second_moments() = adam.second_moments();
  other.set_n_steps(adam.n_steps());
  std::vector<float> w2 = w;
  float* wp2 = w2.data();
  adam.step(std::span<float* const>(&wp, 1), std::span<const float* const>(&gp, 1), 0.01);
  other.step(std::span<float* const>(&wp2, 1), std::span<const float* const>(&gp, 1), 0.01);
  EXPECT_EQ(other.n_steps(), 2);
  EXPECT_EQ(w2, w);
}

TEST(Adam, ScheduleAndClipping) {
  EXPECT_NEAR(cosine_lr(0, 100, 10, 1.0, 0.1), 0.1, 1e-12);
  EXPECT_NEAR(cosine_lr(9, 100, 10, 1.0, 0.1), 1.0, 1e-12);
  EXPECT_NEAR(cosine_lr(10, 100, 10, 1.0, 0.1), 1.0, 1e-12);
  EXPECT_NEAR(cosine_lr(55, 100, 10, 1.0, 0.1), 0.55, 1e-12);
  EXPECT_NEAR(cosine_lr(100, 100, 10, 1.0, 0.1), 0.1, 1e-12);
  std::vector<float> a = {3.0f, 0.0f}, b = {4.0f};
  std::vector<float*> g = {a.data(), b.data()};
  std::vector<size_t> n = {2, 1};
  EXPECT_NEAR(clip_global_norm(g, n, 1.0), 5.0, 1e-9);
  EXPECT_NEAR(a[0], 0.6f, 1e-6);
  EXPECT_NEAR(b[0], 0.8f, 1e-6);
  EXPECT_NEAR(clip_global_norm(g, n, 10.0), 1.0, 1e-6);  // under the limit: unchanged
  EXPECT_NEAR(a[0], 0.6f, 1e-6);
}

TEST(Pretrain, CorpusErrorsNameFileAndLine) {
  const std::string dir = temp_dir("corpus");
  io::write_file_atomic(dir + "/a.jsonl", "{\"ids\": [1, 2, 3]}\n\n{\"ids\": [4, 99]}\n");
  try {
    load_corpus(dir + "/a.jsonl", nullptr, -1, 50);
    FAIL() << "expected an error";
  } catch (const t2::Error& e) {
    EXPECT_NE(std::string(e.what()).find("a.jsonl:3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("99"), std::string::npos) << e.what();
  }
  io::write_file_atomic(dir + "/b.jsonl", "{\"text\": \"hello\"}\n");
  EXPECT_THROW(load_corpus(dir + "/b.jsonl", nullptr, -1, 50), t2::Error);  // needs a tokenizer
  io::write_file_atomic(dir + "/c.jsonl", "{\"ids\": [1, 2]}\n{\"ids\": [3]}\n");
  EXPECT_EQ(load_corpus(dir + "/c.jsonl", nullptr, -1, 50), (std::vector<int32_t>{1, 2, 3}));
  std::filesystem::remove_all(dir);
}

TEST(Pretrain, LearnsAPatternAndTheEngineAgreesOnTheCheckpoint) {
  model::LlamaConfig c;
  c.architecture = "LlamaForCausalLM";
  c.model_type = "llama";
  c.n_vocab = 40, c.n_embd = 32, c.n_ff = 64, c.n_layer = 2, c.n_head = 4, c.n_head_kv = 2;
  c.head_dim = 8, c.n_ctx_max = 64, c.rms_norm_eps = 1e-5, c.tie_word_embeddings = false;
  c.bos_token_ids = {1};
  c.eos_token_ids = {2};
  ParamSet params(c);
  params.init_random(7, 0.05f);
  // A deterministic but context-dependent stream: each run of 8 tokens is a + k·step (mod 37) + 3.
  std::vector<int32_t> stream;
  for (int run = 0; run < 200; ++run) {
    const int a = (run * 11) % 37, step = 1 + run % 3;
    for (int k = 0; k < 8; ++k) stream.push_back(3 + (a + k * step) % 37);
  }
  PretrainOptions o;
  o.steps = 80;
  o.batch = 8;
  o.seq_len = 24;
  o.lr = 1e-2;
  o.warmup = 5;
  o.log_every = 10;
  o.save_every = 0;
  const std::string out = temp_dir("ckpt");
  std::vector<PretrainLog> logs;
  std::vector<int64_t> steps;  // on_step: every step, 1-based, before that step's log
  double last_step_loss = 0;
  pretrain(params, stream, o, out, [&](const PretrainLog& l) {
    EXPECT_EQ(steps.back(), l.step);
    logs.push_back(l);
  }, [&](int64_t step, double loss) {
    steps.push_back(step);
    last_step_loss = loss;
  });
  ASSERT_EQ(logs.size(), 8u);
  ASSERT_EQ(steps.size(), 80u);
  for (size_t i = 0; i < steps.size(); ++i) EXPECT_EQ(steps[i], static_cast<int64_t>(i + 1));
  EXPECT_TRUE(std::isfinite(last_step_loss));
  std::printf("pretrain loss: first window %.3f, last window %.3f (uniform: %.3f)\n", logs[0].loss,
              logs.back().loss, std::log(40.0));
  EXPECT_GT(logs[0].loss, 2.5);
  EXPECT_LT(logs.back().loss, 1.3);  // within a run of 8, tokens after the 2nd are predictable

  // The engine loads the checkpoint and computes the same teacher-forced log-probs.
  auto m = model::LlamaModel::load(out);
  EXPECT_EQ(m->config().n_layer, 2);
  std::vector<int32_t> seq(stream.begin() + 40, stream.begin() + 60);
  model::RunContext ctx(m);
  const int32_t slot = ctx.add_sequence(static_cast<int64_t>(seq.size()));
  model::SeqChunk chunk{slot, seq, model::OutputRows::all};
  tensor::set_kernel_level(tensor::KernelLevel::reference);
  const int64_t rows = m->forward(ctx, std::span<const model::SeqChunk>(&chunk, 1));
  float* logits = m->logits(ctx, 0, rows);
  tensor::log_softmax(logits, logits, rows, c.n_vocab);
  tensor::set_kernel_level(tensor::KernelLevel::fast);
  SeqExample ex{seq, std::vector<float>(seq.size(), 1.0f)};
  ex.weight[0] = 0.0f;
  Decoder dec(params);
  const ForwardResult r = dec.run(std::span<const SeqExample>(&ex, 1), false);
  for (size_t i = 1; i < seq.size(); ++i)
    EXPECT_NEAR(r.logp[0][i], logits[(i - 1) * c.n_vocab + seq[i]], 1e-4) << i;
  std::filesystem::remove_all(out);
}

}  // namespace
}  // namespace t2::train
