// REINFORCE: batch draws, a learning test that cannot pass by accident (a reward for an even first
// generated token must rise and change greedy outputs), and checkpoint-style resume.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "dist/comm/communicator.h"
#include "rl_setup.h"

namespace t2::train {
namespace {

TEST(Reinforce, BatchesAreWithoutReplacementPerEpochAndSeeded) {
  const int64_t n = 10;
  std::vector<int64_t> epoch;
  for (int64_t it = 0; it < 5; ++it) {  // 5 iterations x 4 = 2 epochs
    const auto b = ReinforceTrainer::draw_batch(3, it, 4, n);
    ASSERT_EQ(b.size(), 4u);
    epoch.insert(epoch.end(), b.begin(), b.end());
  }
  std::set<int64_t> first(epoch.begin(), epoch.begin() + 10), second(epoch.begin() + 10, epoch.end());
  EXPECT_EQ(first.size(), 10u);
  EXPECT_EQ(second.size(), 10u);
  EXPECT_EQ(ReinforceTrainer::draw_batch(3, 2, 4, n), ReinforceTrainer::draw_batch(3, 2, 4, n));
  EXPECT_NE(ReinforceTrainer::draw_batch(3, 0, 4, n), ReinforceTrainer::draw_batch(4, 0, 4, n));
}

TEST(Reinforce, RewardRisesAndGreedyOutputsMoveTheRewardedWay) {
  auto m = test::rl_model();
  const auto prompts = test::rl_prompts(32, m->config().n_vocab);
  ReinforceTrainer tr(m, test::rl_svd(*m), test::rl_options(), dist::Communicator());
  const double before = tr.accuracy(prompts, test::even_first_token);
  std::vector<double> rewards;
  for (int it = 0; it < 40; ++it) rewards.push_back(tr.step(prompts, test::even_first_token).mean_reward);
  const double after = tr.accuracy(prompts, test::even_first_token);
  double early = 0, late = 0;
  for (int i = 0; i < 5; ++i) early += rewards[i] / 5, late += rewards[35 + i] / 5;
  std::printf("even-first-token accuracy %.3f -> %.3f; mean reward first 5 iters %.2f, last 5 %.2f\n",
              before, after, early, late);
  EXPECT_LT(before, 0.75);
  EXPECT_GE(after, before + 0.25);
  EXPECT_GT(late, early + 0.4);
}

TEST(Reinforce, RestoreContinuesExactly) {
  auto m = test::rl_model();
  const auto prompts = test::rl_prompts(16, m->config().n_vocab);
  auto o = test::rl_options();
  o.batch = 4;
  ReinforceTrainer a(m, test::rl_svd(*m), o, dist::Communicator());
  for (int i = 0; i < 3; ++i) a.step(prompts, test::even_first_token);
  // Snapshot after 3 iterations, then continue a and a fresh trainer restored from the snapshot.
  const Expert snap = a.expert();
  const auto m1 = a.optimizer().first_moments(), m2 = a.optimizer().second_moments();
  const int64_t t = a.optimizer().n_steps();
  ReinforceTrainer b(m, test::rl_svd(*m), o, dist::Communicator());
  b.restore(snap, a.iteration());
  b.optimizer().first_moments() = m1;
  b.optimizer().second_moments() = m2;
  b.optimizer().set_n_steps(t);
  for (int i = 0; i < 2; ++i) {
    a.step(prompts, test::even_first_token);
    b.step(prompts, test::even_first_token);
  }
  EXPECT_EQ(a.expert().p, b.expert().p);
  EXPECT_EQ(a.iteration(), 5);
}

}  // namespace
}  // namespace t2::train
