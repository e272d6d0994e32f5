// REINFORCE rollouts through the SVF door: the trainer's scaling really reaches the generations (a
// uniform expert reproduces the base model's greedy tokens, a random one changes them), and the
// micro-batch changes only float rounding, never the rollouts or rewards.
#include <gtest/gtest.h>

#include <cmath>

#include "rl_setup.h"

namespace t2::train {
namespace {

std::vector<std::vector<int32_t>> base_generations(const test::RlWorld& w) {
  model::RunContext ctx(w.model);
  std::vector<model::GenerationRequest> req;
  for (size_t i = 0; i < w.prompts.size(); ++i)
    req.push_back({static_cast<uint64_t>(i), w.prompts[i], w.max_new_tokens, {}});
  std::vector<std::vector<int32_t>> out;
  for (auto& g : model::generate(ctx, req)) out.push_back(std::move(g.tokens));
  return out;
}

TEST(Rollout, TheTrainersScalingReachesTheGenerations) {
  test::RlWorld w(24);
  w.max_new_tokens = 6;
  const auto base = base_generations(w);
  RolloutFn rollouts = w.rollouts();
  auto tr = w.trainer(test::rl_options());
  // p = 0.1 everywhere: z uniform, c · z = 1, W' = W up to f32 reconstruction.
  Expert flat = tr->expert();
  for (auto& p : flat.p) std::fill(p.begin(), p.end(), 0.1f);
  tr->restore(flat, 0);
  const auto uniform = rollouts(w.ids(), tr->scaling(), 1);
  // A strongly random expert.
  Expert wild = tr->expert();
  for (size_t m = 0; m < wild.p.size(); ++m) {
    Rng rng = Rng::stream(77, m, RngPurpose::init);
    for (float& v : wild.p[m]) v = static_cast<float>(0.1 + 2.0 * rng.normal());
  }
  tr->restore(wild, 0);
  const auto changed = rollouts(w.ids(), tr->scaling(), 1);
  int n_changed = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    EXPECT_EQ(uniform[i].completion, base[i]) << "prompt " << i;
    n_changed += changed[i].completion != base[i];
  }
  EXPECT_GE(n_changed, 8) << "a strongly random expert left most rollouts unchanged";
}

TEST(Rollout, MicroBatchChangesOnlyRounding) {
  // One unit of 8 vs eight units of 1: the same rollouts, rewards and, up to float rounding of
  // the batched forward/backward, the same gradient (checked through the loss and |g|).
  test::RlWorld w(16);
  w.max_new_tokens = 5;
  auto o = test::rl_options();
  o.max_grad_norm = 0;
  ReinforceOptions o1 = o;
  o1.micro_batch = 1;
  auto a = w.trainer(o);
  auto b = w.trainer(o1);
  const IterationStats sa = a->step(w.ids());
  const IterationStats sb = b->step(w.ids());
  EXPECT_EQ(sa.mean_reward, sb.mean_reward);
  EXPECT_EQ(sa.generated_tokens, sb.generated_tokens);
  EXPECT_NEAR(sa.loss, sb.loss, 1e-6 * std::abs(sb.loss));
  EXPECT_NEAR(sa.grad_norm, sb.grad_norm, 1e-5 * sb.grad_norm);
  EXPECT_GT(sb.grad_norm, 0.0);
}

}  // namespace
}  // namespace t2::train
