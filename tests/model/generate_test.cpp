// generate() and score(): greedy continuations and teacher-forced log-probs against Hugging Face,
// stop conditions, the token stream, per-request sampling streams that do not depend on the batch,
// and the sampler's distribution.
#include "model/generate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "base/error.h"
#include "fixture.h"
#include "tensor/ops.h"

using namespace t2;
using namespace t2::model;

namespace {

std::vector<GenerationRequest> greedy_requests(const std::vector<test::ExpectedSequence>& ex,
                                               int64_t max_new) {
  std::vector<GenerationRequest> reqs;
  for (size_t i = 0; i < ex.size(); ++i) reqs.push_back({i, ex[i].ids, max_new, {}});
  return reqs;
}

}  // namespace

TEST(Generate, GreedyMatchesTransformersForEveryFixture) {
  tensor::set_kernel_level(tensor::KernelLevel::reference);
  for (const auto& name : test::fixture_cases()) {
    auto m = LlamaModel::load(test::fixture_dir(name));
    const auto ex = test::load_expected(name);
    RunContext ctx(m);
    GenerationOptions opt;
    opt.use_eos = false;  // the reference continuation ignores eos
    opt.max_batch_tokens = 8;  // forces chunked prefill mixed with decode steps
    const auto reqs = greedy_requests(ex, static_cast<int64_t>(ex[0].greedy.size()));
    const auto res = generate(ctx, reqs, opt);
    ASSERT_EQ(res.size(), ex.size());
    for (size_t i = 0; i < ex.size(); ++i) {
      EXPECT_EQ(res[i].tokens, ex[i].greedy) << name << " sequence " << i;
      EXPECT_EQ(res[i].finish, FinishReason::max_tokens);
      EXPECT_EQ(res[i].n_prompt, static_cast<int64_t>(ex[i].ids.size()));
      EXPECT_EQ(res[i].n_generated, static_cast<int64_t>(ex[i].greedy.size()));
    }
  }
  tensor::set_kernel_level(tensor::KernelLevel::fast);
}

TEST(Generate, FastKernelsGreedyMatchesForF32Weights) {
  const std::string name = "llama3_gqa_tied_f32";
  auto m = LlamaModel::load(test::fixture_dir(name));
  const auto ex = test::load_expected(name);
  RunContext ctx(m);
  GenerationOptions opt;
  opt.use_eos = false;
  const auto res = generate(ctx, greedy_requests(ex, 10), opt);
  for (size_t i = 0; i < ex.size(); ++i) EXPECT_EQ(res[i].tokens, ex[i].greedy);
}

TEST(Score, MatchesTransformersLogprobsWithChunking) {
  for (const auto& name : test::fixture_cases()) {
    auto m = LlamaModel::load(test::fixture_dir(name));
    const auto ex = test::load_expected(name);
    std::vector<std::vector<int32_t>> seqs;
    for (const auto& e : ex) seqs.push_back(e.ids);
    seqs.push_back({5});  // a single token predicts nothing
    // BF16 weights: the fast dot kernel rounds activations to bf16; others agree to ~1e-6.
    const double tol = name.find("bf16") == std::string::npos ? 1e-4 : 5e-2;
    for (int64_t budget : {1000, 5}) {
      RunContext ctx(m);
      ScoreOptions so;
      so.max_batch_tokens = budget;
      so.logits_rows = 3;
      const auto lp = score(ctx, seqs, so);
      ASSERT_EQ(lp.size(), seqs.size());
      EXPECT_TRUE(lp.back().empty());
      for (size_t i = 0; i < ex.size(); ++i) {
        ASSERT_EQ(lp[i].size(), ex[i].logprobs.size());
        for (size_t t = 0; t < lp[i].size(); ++t)
          EXPECT_NEAR(lp[i][t], ex[i].logprobs[t], tol) << name << " seq " << i << " pos " << t;
      }
    }
  }
}

TEST(Score, RejectsBadIds) {
  auto m = LlamaModel::load(test::fixture_dir("llama3_gqa_tied_f32"));
  RunContext ctx(m);
  std::vector<std::vector<int32_t>> seqs = {{1, 2, 100000}};
  EXPECT_THROW(score(ctx, seqs), t2::Error);
}

TEST(Generate, StopConditionsAndTokenStream) {
  const std::string name = "llama2_mha_untied_f32_sharded";
  auto m = LlamaModel::load(test::fixture_dir(name));
  const auto ex = test::load_expected(name);
  RunContext ctx(m);
  const auto& g = ex[1].greedy;
  // Stop token: the third greedy token (first occurrence).
  const size_t first = std::find(g.begin(), g.end(), g[2]) - g.begin();
  GenerationOptions opt;
  opt.stop_token_ids = {g[2]};
  std::vector<std::pair<int32_t, int32_t>> stream;
  opt.on_token = [&](int32_t r, int32_t t) { stream.emplace_back(r, t); };
  std::vector<GenerationRequest> reqs = {{1, ex[1].ids, 10, {}}};
  auto res = generate(ctx, reqs, opt);
  EXPECT_EQ(res[0].finish, FinishReason::stop_token);
  EXPECT_EQ(res[0].tokens, std::vector<int32_t>(g.begin(), g.begin() + first + 1));
  ASSERT_EQ(stream.size(), first + 1);
  for (size_t i = 0; i < stream.size(); ++i) EXPECT_EQ(stream[i], std::make_pair(0, g[i]));
  // Stop check (stop strings): stop once 4 tokens exist.
  GenerationOptions o2;
  o2.use_eos = false;
  o2.stop_check = [](int32_t, std::span<const int32_t> gen) { return gen.size() >= 4; };
  res = generate(ctx, reqs, o2);
  EXPECT_EQ(res[0].finish, FinishReason::stop_string);
  EXPECT_EQ(res[0].tokens, std::vector<int32_t>(g.begin(), g.begin() + 4));
  // Context limit: room for exactly 2 new tokens.
  GenerationOptions o3;
  o3.use_eos = false;
  o3.context_limit = static_cast<int64_t>(ex[1].ids.size()) + 2;
  o3.want_logprobs = true;
  res = generate(ctx, reqs, o3);
  EXPECT_EQ(res[0].finish, FinishReason::context_limit);
  EXPECT_EQ(res[0].n_generated, 2);
  ASSERT_EQ(res[0].logprobs.size(), 2u);
  EXPECT_LT(res[0].logprobs[0], 0.0f);
  // Prompt longer than the limit: an error result for that request only.
  std::vector<GenerationRequest> two = {{0, ex[1].ids, 3, {}}, {1, ex[2].ids, 3, {}}};
  GenerationOptions o4;
  o4.use_eos = false;
  o4.context_limit = static_cast<int64_t>(ex[2].ids.size()) + 1;
  res = generate(ctx, two, o4);
  EXPECT_EQ(res[0].finish, FinishReason::error);
  EXPECT_NE(res[0].error.find("context limit"), std::string::npos) << res[0].error;
  EXPECT_EQ(res[1].finish, FinishReason::context_limit);
  EXPECT_EQ(res[1].n_generated, 1);
  // Bad requests.
  std::vector<GenerationRequest> bad = {{0, {}, 3, {}}, {1, {1, 999}, 3, {}}, {2, {1}, 0, {}}};
  res = generate(ctx, bad, o4);
  EXPECT_EQ(res[0].finish, FinishReason::error);
  EXPECT_EQ(res[1].finish, FinishReason::error);
  EXPECT_NE(res[1].error.find("999"), std::string::npos);
  EXPECT_EQ(res[2].finish, FinishReason::max_tokens);
  EXPECT_EQ(res[2].n_generated, 0);
}

TEST(Generate, SampledOutputDoesNotDependOnBatchComposition) {
  auto m = LlamaModel::load(test::fixture_dir("llama3_gqa_tied_f32"));
  const auto ex = test::load_expected("llama3_gqa_tied_f32");
  RunContext ctx(m);
  GenerationOptions opt;
  opt.seed = 42;
  opt.use_eos = false;
  const SamplingParams sp{1.0f, 0.9f};
  std::vector<GenerationRequest> batch;
  for (size_t i = 0; i < ex.size(); ++i) batch.push_back({100 + i, ex[i].ids, 12, sp});
  const auto together = generate(ctx, batch, opt);
  for (size_t i = 0; i < ex.size(); ++i) {
    const auto alone = generate(ctx, std::span(batch).subspan(i, 1), opt);
    EXPECT_EQ(alone[0].tokens, together[i].tokens) << "request " << i;
  }
  // A different seed gives a different sample (12 tokens from a 160-token vocabulary).
  opt.seed = 43;
  const auto other = generate(ctx, batch, opt);
  int differing = 0;
  for (size_t i = 0; i < ex.size(); ++i) differing += other[i].tokens != together[i].tokens;
  EXPECT_GT(differing, 0);
  // Sampling at temperature > 0 is not greedy.
  int non_greedy = 0;
  for (size_t i = 0; i < ex.size(); ++i)
    non_greedy += !std::equal(ex[i].greedy.begin(), ex[i].greedy.end(), together[i].tokens.begin());
  EXPECT_GT(non_greedy, 0);
}

TEST(Sampler, FrequenciesFollowSoftmaxAndTopP) {
  const std::vector<float> logits = {2.0f, 1.0f, 0.5f, -1.0f, 0.0f};
  std::vector<double> p(logits.size());
  double z = 0;
  for (size_t i = 0; i < p.size(); ++i) z += p[i] = std::exp(logits[i] / 0.7);
  for (auto& x : p) x /= z;
  Rng rng = Rng::stream(7, 1, RngPurpose::sampling);
  SamplerScratch scratch;
  std::vector<int> count(logits.size());
  const int n = 40000;
  for (int i = 0; i < n; ++i) ++count[sample_token(logits.data(), 5, {0.7f, 1.0f}, rng, scratch)];
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(count[i] / double(n), p[i], 0.01) << i;
  // top_p = 0.8: p sorted = {0.70, 0.17, 0.08, ...} → nucleus {0, 1}, renormalised.
  std::fill(count.begin(), count.end(), 0);
  for (int i = 0; i < n; ++i) ++count[sample_token(logits.data(), 5, {0.7f, 0.8f}, rng, scratch)];
  EXPECT_EQ(count[2] + count[3] + count[4], 0);
  EXPECT_NEAR(count[0] / double(n), p[0] / (p[0] + p[1]), 0.01);
  // Greedy and the first index on ties.
  const std::vector<float> tie = {1.0f, 3.0f, 3.0f};
  EXPECT_EQ(sample_token(tie.data(), 3, {0.0f, 1.0f}, rng, scratch), 1);
  EXPECT_THROW(sample_token(tie.data(), 3, {1.0f, 0.0f}, rng, scratch), t2::Error);
  EXPECT_NEAR(token_logprob(logits.data(), 5, 0), 2.0 - std::log(std::exp(2.0) + std::exp(1.0) +
              std::exp(0.5) + std::exp(-1.0) + 1.0), 1e-6);
}
