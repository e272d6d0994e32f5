// Batched greedy rollouts (model::generate, all prompts sharing each forward) against the
// one-sequence-per-forward reference: the same tokens for prompts of different lengths that stop
// at different steps (eos, a stop function, max_new), with an SVF expert applied; and a REINFORCE
// trainer with batched rollouts giving a bit-identical expert to one with sequential rollouts.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "base/error.h"
#include "rl_setup.h"
#include "train/rollout.h"
#include "train/svf_param.h"

namespace t2::train {
namespace {

// Dense overrides of every matrix of `svd` for a random expert (p ~ 0.1 + 0.5 N(0, 1)), so the
// rollouts differ visibly from the base model's.
std::vector<Override> random_expert(const std::vector<SvfMatrix>& svd) {
  std::vector<Override> out;
  for (size_t i = 0; i < svd.size(); ++i) {
    Rng rng = Rng::stream(77, i, RngPurpose::init);
    std::vector<float> p(static_cast<size_t>(svd[i].rank));
    for (float& v : p) v = static_cast<float>(0.1 + 0.5 * rng.normal());
    const std::vector<float> s = svf_scale(svd[i], p.data(), 1.0f);
    std::vector<float> w(static_cast<size_t>(svd[i].n_out * svd[i].n_in));
    svf_compose(svd[i], s.data(), w.data());
    out.push_back({svd[i].name, std::make_shared<DenseOverride>(std::move(w), svd[i].n_out,
                                                                svd[i].n_in)});
  }
  return out;
}

std::vector<std::vector<int32_t>> prompts_of(const std::vector<RlSample>& samples) {
  std::vector<std::vector<int32_t>> out;
  for (const auto& s : samples) out.push_back(s.prompt);
  return out;
}

TEST(Rollout, BatchedEqualsSequential) {
  auto m = test::rl_model();
  const auto svd = test::rl_svd(*m);
  const auto prompts = prompts_of(test::rl_prompts(24, m->config().n_vocab));
  for (const bool with_expert : {false, true}) {
    const std::vector<Override> ov = with_expert ? random_expert(svd) : std::vector<Override>{};
    const int64_t max_new = 12;
    // Stop tokens and a stop rule that end some rollouts early, so lengths differ.
    const std::vector<int32_t> eos = {2, 17};
    auto stop = [](const std::vector<int32_t>& g) { return g.size() >= 3 && g.back() % 5 == 0; };
    std::vector<std::vector<int32_t>> seq;
    for (const auto& p : prompts) seq.push_back(greedy_rollout(m, ov, p, max_new, eos, stop));
    std::set<size_t> lengths;
    for (const auto& s : seq) lengths.insert(s.size());
    EXPECT_GE(lengths.size(), 3u) << "the fixture should give rollouts of several lengths";
    // Whole batch, a small token budget (prefill spread over steps) and one prompt at a time.
    for (const int64_t budget : {int64_t{2048}, int64_t{7}}) {
      const auto bat = greedy_rollouts(m, ov, prompts, max_new, eos, stop, budget);
      ASSERT_EQ(bat.size(), seq.size());
      for (size_t j = 0; j < seq.size(); ++j)
        EXPECT_EQ(bat[j], seq[j]) << "prompt " << j << ", expert " << with_expert << ", budget "
                                  << budget;
    }
    const auto one = greedy_rollouts(m, ov, std::span(prompts).subspan(5, 1), max_new, eos, stop);
    EXPECT_EQ(one.at(0), seq[5]);
  }
}

TEST(Rollout, DenseOverrideStoredInBf16MatchesF32WithinBf16Rounding) {
  // The override of a bf16 checkpoint: W and x rounded to bf16, f32 sums (docs/tensor.md bound).
  const int64_t n_out = 40, n_in = 64, n = 5;
  std::vector<float> w(static_cast<size_t>(n_out * n_in)), x(static_cast<size_t>(n * n_in));
  Rng rng = Rng::stream(3, 0, RngPurpose::generic);
  for (float& v : w) v = static_cast<float>(rng.normal());
  for (float& v : x) v = static_cast<float>(rng.normal());
  const DenseOverride f32(w.data(), n_out, n_in), bf16(w.data(), n_out, n_in, tensor::DType::bf16);
  std::vector<float> y32(static_cast<size_t>(n * n_out)), y16(y32.size());
  f32.forward(x.data(), y32.data(), n, {});
  bf16.forward(x.data(), y16.data(), n, {});
  double max_diff = 0;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t o = 0; o < n_out; ++o) {
      double abs_sum = 0;
      for (int64_t i = 0; i < n_in; ++i) abs_sum += std::fabs(double(x[r * n_in + i]) * w[o * n_in + i]);
      const double d = std::fabs(double(y16[r * n_out + o]) - y32[r * n_out + o]);
      EXPECT_LE(d, 2.0 * std::ldexp(1.0, -8) * abs_sum) << r << "," << o;
      max_diff = std::max(max_diff, d);
    }
  EXPECT_GT(max_diff, 0.0) << "bf16 storage should round";
}

TEST(Rollout, BadPromptsAreRefused) {
  auto m = test::rl_model();
  std::vector<std::vector<int32_t>> p = {{1, 5}, {}};
  EXPECT_THROW(greedy_rollouts(m, {}, p, 4, {2}), t2::Error);
  p[1].assign(60, 3);  // 60 + 8 > 64 positions
  try {
    greedy_rollouts(m, {}, p, 8, {2});
    FAIL() << "a prompt beyond the context limit was accepted";
  } catch (const t2::Error& e) {
    EXPECT_NE(std::string(e.what()).find("prompt 1"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(greedy_rollouts(m, {}, {}, 4, {2}).empty());
}

TEST(Rollout, TrainerWithBatchedRolloutsMatchesSequential) {
  auto m = test::rl_model();
  const auto samples = test::rl_prompts(16, m->config().n_vocab);
  auto o = test::rl_options();
  o.max_new_tokens = 6;
  o.eos_ids = {2};
  o.micro_batch = 3;  // units of 3, 3, 2 samples
  ReinforceOptions os = o;
  os.batched_rollouts = false;
  ReinforceTrainer bat(m, test::rl_svd(*m), o, dist::Communicator());
  ReinforceTrainer seq(m, test::rl_svd(*m), os, dist::Communicator());
  for (int i = 0; i < 3; ++i) {
    const IterationStats a = bat.step(samples, test::even_first_token);
    const IterationStats b = seq.step(samples, test::even_first_token);
    EXPECT_EQ(a.generated_tokens, b.generated_tokens);
    EXPECT_EQ(a.mean_reward, b.mean_reward);
    EXPECT_EQ(a.loss, b.loss);
  }
  EXPECT_EQ(bat.expert().p, seq.expert().p);
  EXPECT_EQ(bat.accuracy(samples, test::even_first_token),
            seq.accuracy(samples, test::even_first_token));
}

TEST(Rollout, MicroBatchChangesOnlyRounding) {
  // One unit of 8 vs eight units of 1: the same rollouts, rewards and, up to float rounding of
  // the batched forward/backward, the same gradient (checked through the loss and |g|).
  auto m = test::rl_model();
  const auto samples = test::rl_prompts(16, m->config().n_vocab);
  auto o = test::rl_options();
  o.max_new_tokens = 5;
  o.max_grad_norm = 0;
  ReinforceOptions o1 = o;
  o1.micro_batch = 1;
  ReinforceTrainer a(m, test::rl_svd(*m), o, dist::Communicator());
  ReinforceTrainer b(m, test::rl_svd(*m), o1, dist::Communicator());
  const IterationStats sa = a.step(samples, test::even_first_token);
  const IterationStats sb = b.step(samples, test::even_first_token);
  EXPECT_EQ(sa.mean_reward, sb.mean_reward);
  EXPECT_EQ(sa.generated_tokens, sb.generated_tokens);
  EXPECT_NEAR(sa.loss, sb.loss, 1e-6 * std::abs(sb.loss));
  EXPECT_NEAR(sa.grad_norm, sb.grad_norm, 1e-5 * sb.grad_norm);
  EXPECT_GT(sb.grad_norm, 0.0);
}

}  // namespace
}  // namespace t2::train
