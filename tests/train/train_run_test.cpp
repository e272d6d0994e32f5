// The outer REINFORCE loop: evaluation rows, best/latest expert files readable by svf/, and a run
// interrupted after a checkpoint and resumed with --resume semantics ends with exactly the expert
// and history of an uninterrupted run.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <unistd.h>

#include "base/error.h"
#include "io/file.h"
#include "rl_setup.h"
#include "svf/expert.h"
#include "train/train_run.h"

namespace t2::train {
namespace {

std::string temp_dir(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() /
                 ("t2_train_run_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

EvalSets sets_of(size_t n) {
  EvalSets s;
  for (size_t i = 0; i < n; ++i)
    (i % 3 == 0 ? s.valid : i % 3 == 1 ? s.test : s.train).push_back(static_cast<int64_t>(i));
  return s;
}

// --train-eval-limit / --eval-limit: the accuracies are those of the first N samples of each split.
TEST(TrainRun, EvaluationLimitsTakeTheFirstSamples) {
  test::RlWorld w(30);
  const EvalSets sets = sets_of(w.prompts.size());
  const dist::Communicator comm;
  TrainRunOptions ro;
  ro.iters = 0;
  ro.task = "even-first-token";
  ro.base_fingerprint = "t2fp1-test";
  ro.out = temp_dir("limits") + "/e.h5";
  ro.train_eval_limit = 4;
  ro.eval_limit = 3;
  auto tr = w.trainer(test::rl_options(), comm);
  const auto h = run_reinforce(*tr, sets, ro, comm, {});
  ASSERT_EQ(h.size(), 1u);
  const auto first = [](const std::vector<int64_t>& v, size_t n) {
    return std::vector<int64_t>(v.begin(), v.begin() + static_cast<long>(n));
  };
  EXPECT_EQ(h[0].train_acc, tr->accuracy(first(sets.train, 4)).accuracy);
  EXPECT_EQ(h[0].valid_acc, tr->accuracy(first(sets.valid, 3)).accuracy);
  EXPECT_EQ(h[0].test_acc, tr->accuracy(first(sets.test, 3)).accuracy);
  // Accuracies over 4 or 3 samples are multiples of 1/4 or 1/3.
  EXPECT_DOUBLE_EQ(h[0].train_acc * 4, std::round(h[0].train_acc * 4));
  EXPECT_DOUBLE_EQ(h[0].valid_acc * 3, std::round(h[0].valid_acc * 3));
  ro.eval_limit = -1;
  EXPECT_THROW(run_reinforce(*tr, sets, ro, comm, {}), Error);
}

TEST(TrainRun, ResumeAfterACheckpointEqualsAnUninterruptedRun) {
  test::RlWorld w(30);
  const EvalSets sets = sets_of(w.prompts.size());
  auto o = test::rl_options();
  o.batch = 5;
  const dist::Communicator comm;
  const std::string dir = temp_dir("resume");
  TrainRunOptions ro;
  ro.test_interval = 3;
  ro.task = "even-first-token";
  ro.base_fingerprint = "t2fp1-test";

  ro.iters = 7;
  ro.out = dir + "/straight.h5";
  auto a = w.trainer(o, comm);
  const auto ha = run_reinforce(*a, sets, ro, comm, {});
  ASSERT_EQ(ha.size(), 8u);  // iteration 0 + 7
  EXPECT_GE(ha[3].valid_acc, 0.0);
  EXPECT_LT(ha[4].valid_acc, 0.0);  // not an evaluation iteration
  EXPECT_GE(ha[7].valid_acc, 0.0);  // the last iteration is always evaluated

  // Interrupted run: 6 iterations (checkpoints at 3 and 6), then a new process resumes to 7.
  ro.out = dir + "/split.h5";
  ro.iters = 6;
  {
    auto b = w.trainer(o, comm);
    run_reinforce(*b, sets, ro, comm, {});
  }
  ro.iters = 7;
  ro.resume = true;
  auto c = w.trainer(o, comm);
  const auto hc = run_reinforce(*c, sets, ro, comm, {});
  EXPECT_EQ(c->expert().p, a->expert().p);
  ASSERT_EQ(hc.size(), ha.size());
  for (size_t i = 0; i < ha.size(); ++i) {
    EXPECT_EQ(hc[i].iteration, ha[i].iteration);
    EXPECT_EQ(hc[i].mean_reward, ha[i].mean_reward) << i;
    EXPECT_EQ(hc[i].valid_acc, ha[i].valid_acc) << i;
  }
  // Expert files are svf experts; the latest holds the final parameters.
  const svf::Expert latest = svf::load_expert(latest_path(ro.out));
  EXPECT_EQ(latest.meta.task, "even-first-token");
  EXPECT_EQ(latest.params.at(c->expert().names[0]), c->expert().p[0]);
  EXPECT_EQ(latest.meta.extra.at("iteration"), "7");
  EXPECT_EQ(latest.meta.extra.at("failed_rollouts"), "0");
  EXPECT_TRUE(std::filesystem::exists(ro.out));
  EXPECT_TRUE(io::file_exists(dir + "/split.history.tsv"));

  // A checkpoint of another base model is refused.
  ro.base_fingerprint = "t2fp1-other";
  auto d = w.trainer(o, comm);
  EXPECT_THROW(run_reinforce(*d, sets, ro, comm, {}), t2::Error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace t2::train
