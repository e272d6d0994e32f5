// REINFORCE: batch draws (distinct, capped at the training set, seeded), a learning test that cannot
// pass by accident (a reward for an even first generated token must rise and change greedy
// outputs), and checkpoint-style resume.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "dist/comm/communicator.h"
#include "rl_setup.h"

namespace t2::train {
namespace {

TEST(Reinforce, BatchesAreDistinctCappedAndSeeded) {
  const int64_t n = 10;
  for (int64_t it = 0; it < 5; ++it) {
    const auto b = ReinforceTrainer::draw_batch(3, it, 4, n);
    ASSERT_EQ(b.size(), 4u);
    EXPECT_EQ(std::set<int64_t>(b.begin(), b.end()).size(), 4u) << "a prompt twice in one batch";
    for (int64_t i : b) EXPECT_TRUE(i >= 0 && i < n);
  }
  // A batch larger than the training set takes every sample once (B = min(batch, n)).
  const auto all = ReinforceTrainer::draw_batch(3, 0, 256, n);
  EXPECT_EQ(all.size(), 10u);
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()).size(), 10u);
  EXPECT_EQ(ReinforceTrainer::draw_batch(3, 2, 4, n), ReinforceTrainer::draw_batch(3, 2, 4, n));
  EXPECT_NE(ReinforceTrainer::draw_batch(3, 0, 4, n), ReinforceTrainer::draw_batch(4, 0, 4, n));
  EXPECT_NE(ReinforceTrainer::draw_batch(3, 0, 4, n), ReinforceTrainer::draw_batch(3, 1, 4, n));
  // Every sample is drawn about equally often over many iterations.
  std::vector<int> count(n, 0);
  for (int64_t it = 0; it < 500; ++it)
    for (int64_t i : ReinforceTrainer::draw_batch(7, it, 4, n)) ++count[i];
  for (int c : count) EXPECT_NEAR(c, 200, 50);
}

TEST(Reinforce, RewardRisesAndGreedyOutputsMoveTheRewardedWay) {
  test::RlWorld w(32);
  auto tr = w.trainer(test::rl_options());
  const auto ids = w.ids();
  const double before = tr->accuracy(ids).accuracy;
  std::vector<double> rewards;
  for (int it = 0; it < 40; ++it) rewards.push_back(tr->step(ids).mean_reward);
  const double after = tr->accuracy(ids).accuracy;
  double early = 0, late = 0;
  for (int i = 0; i < 5; ++i) early += rewards[i] / 5, late += rewards[35 + i] / 5;
  std::printf("even-first-token accuracy %.3f -> %.3f; mean reward first 5 iters %.2f, last 5 %.2f\n",
              before, after, early, late);
  EXPECT_LT(before, 0.75);
  EXPECT_GE(after, before + 0.25);
  EXPECT_GT(late, early + 0.4);
}

TEST(Reinforce, RestoreContinuesExactly) {
  test::RlWorld w(16);
  auto o = test::rl_options();
  o.batch = 4;
  const auto ids = w.ids();
  auto a = w.trainer(o);
  for (int i = 0; i < 3; ++i) a->step(ids);
  // Snapshot after 3 iterations, then continue a and a fresh trainer restored from the snapshot.
  const Expert snap = a->expert();
  const auto m1 = a->optimizer().first_moments(), m2 = a->optimizer().second_moments();
  const int64_t t = a->optimizer().n_steps();
  auto b = w.trainer(o);
  b->restore(snap, a->iteration());
  b->optimizer().first_moments() = m1;
  b->optimizer().second_moments() = m2;
  b->optimizer().set_n_steps(t);
  for (int i = 0; i < 2; ++i) {
    a->step(ids);
    b->step(ids);
  }
  EXPECT_EQ(a->expert().p, b->expert().p);
  EXPECT_EQ(a->iteration(), 5);
}

}  // namespace
}  // namespace t2::train
