// Dispatch labels and strategy validation, and CEM candidate scoring on a tiny random checkpoint
// with an SVD store and three random experts: a shared batch of every candidate scores each pair
// as one batch per candidate does, a candidate without a defined composition is reported and never
// generated, one-hot weights reproduce an expert, and the tie-break is a teacher-forced re-score.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "adapt/candidate_scorer.h"
#include "adapt/dispatch.h"
#include "adapt/eval_batch.h"
#include "model/generate.h"
#include "base/timer.h"
#include "mini/mini.h"
#include "model/llama/model.h"
#include "svf/checkpoint.h"
#include "svf/decompose.h"
#include "svf/svd_store.h"
#include "tasks/classify.h"
#include "tiny_model.h"

namespace t2::adapt {
namespace {

namespace fs = std::filesystem;

TEST(DispatchLabel, ExtractionCases) {
  EXPECT_EQ(tasks::dispatch_label("no box at all"), "other");
  EXPECT_EQ(tasks::dispatch_label("\\boxed{math} then \\boxed{code}"), "math");
  EXPECT_EQ(tasks::dispatch_label("It is \\boxed{ Code }."), "code");
  EXPECT_EQ(tasks::dispatch_label("\\boxed{REASONING}"), "reasoning");
  EXPECT_EQ(tasks::dispatch_label("\\boxed{\\text{math}}"), "other");
  EXPECT_EQ(tasks::dispatch_label("\\boxed{}"), "other");
  EXPECT_EQ(tasks::dispatch_label("\\boxed{history}"), "other");
}

TEST(DispatchConfig, ListsEveryProblem) {
  EvalConfig c;
  c.strategy = "classifier";
  c.experts = {{"math", "/nonexistent/m.h5"}, {"poetry", "/nonexistent/p.h5"}};
  c.dispatch_other = "maybe";
  const auto p = strategy_problems(c);
  auto has = [&](const std::string& s) {
    for (const auto& x : p)
      if (x.find(s) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("--strategy classifier needs --svd"));
  EXPECT_TRUE(has("--experts math=/nonexistent/m.h5: no such file"));
  EXPECT_TRUE(has("--experts poetry=/nonexistent/p.h5: labels are math, code and reasoning"));
  EXPECT_TRUE(has("--strategy classifier needs --cls-expert FILE"));
  EXPECT_TRUE(has("--dispatch-other must be base or reference"));
  c = EvalConfig{};
  c.strategy = "tournament";
  EXPECT_TRUE(strategy_problems(c).size() == 1u);
}

class AdaptSvfTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / ("t2_dispatch_test_" + std::to_string(::getpid()))).string();
    test::write_tiny_model(dir_ + "/model");
    svf::DecomposeOptions o;
    o.progress = false;
    dist::Communicator local;
    svf::decompose_to_store(dir_ + "/svd.h5",
                            svf::weight_source_from_dir(dir_ + "/model", svf::MatrixSet::mlp), o, local);
    const auto store = svf::SvdStore::open(dir_ + "/svd.h5");
    const char* names[] = {"math", "code", "reasoning"};
    for (int k = 0; k < 3; ++k) {
      svf::Expert e = svf::init_expert_random(store, {}, 10 + k, 0.5 * k - 0.5, 2.0);
      e.meta.task = names[k];
      svf::save_expert(e, dir_ + "/" + names[k] + ".h5");
    }
    std::ofstream f(dir_ + "/gsm8k.jsonl");
    for (const auto& r : mini::make_gsm8k(5, 1, 6)) f << r.dump() << "\n";
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::vector<std::pair<std::string, std::string>> experts() {
    return {{"math", dir_ + "/math.h5"}, {"code", dir_ + "/code.h5"}, {"reasoning", dir_ + "/reasoning.h5"}};
  }
  static std::string dir_;
};
std::string AdaptSvfTest::dir_;

TEST_F(AdaptSvfTest, SharedBatchScoringMatchesPerCandidate) {
  auto model = model::LlamaModel::load(dir_ + "/model");
  const auto store = svf::SvdStore::open(dir_ + "/svd.h5");
  svf::ExpertBank bank = svf::ExpertBank::load(store, experts());
  bank.load_factors(store, *model);
  EXPECT_EQ(bank.dim(false), 3);
  EXPECT_EQ(bank.dim(true), 3 * 6);  // 2 layers x 3 MLP matrices
  // One-hot α reproduces the expert's own z.
  const auto one_hot = bank.mix(std::vector<double>{0, 1, 0}, false, false, "x");
  EXPECT_EQ(one_hot.z.at(bank.matrices()[0]), bank.scaling("code").z.at(bank.matrices()[0]));
  run::RunnerOptions ro;
  ro.max_new_tokens = 6;
  ro.apply = svf::ApplyMode::dense;  // the same arithmetic in every batch shape
  run::SampleRunner runner(model, tokenizer::Tokenizer::load(dir_ + "/model"), ro, nullptr,
                           bank.factors());
  CandidateScorer scorer(runner, bank, false, false);
  const TaskData data = load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
  const std::vector<std::vector<double>> alphas = {
      {1, 0, 0}, {0.2, 0.7, 0.1}, {0, 0, 0}, {0.9, 0.9, 0.9}};
  const std::vector<int64_t> items = {0, 1, 2, 3};
  Timer t1;
  const auto shared = scorer.score(data, alphas, items);
  const double shared_s = t1.seconds();
  Timer t2;
  const auto separate = scorer.score(data, alphas, items, /*separate=*/true);
  const double separate_s = t2.seconds();
  for (size_t c = 0; c < alphas.size(); ++c)
    for (size_t i = 0; i < items.size(); ++i) {
      if (c == 2) {  // all-zero α: z' = 0, W' undefined; not generated, counts as wrong
        EXPECT_EQ(shared[c][i].status.rfind("degenerate mixture: ", 0), 0u) << shared[c][i].status;
        EXPECT_NE(shared[c][i].status.find("all 0"), std::string::npos) << shared[c][i].status;
        EXPECT_FALSE(shared[c][i].correct);
        EXPECT_EQ(shared[c][i].generated_tokens, 0);
        continue;
      }
      EXPECT_EQ(shared[c][i].status, "ok");
      EXPECT_EQ(shared[c][i].generated_tokens, separate[c][i].generated_tokens);
      EXPECT_EQ(shared[c][i].correct, separate[c][i].correct);
      EXPECT_NEAR(shared[c][i].mean_logprob, separate[c][i].mean_logprob, 2e-3) << c << " " << i;
    }
  std::printf("4 candidates x 4 samples: one shared batch %.3f s, one batch per candidate %.3f s\n",
              shared_s, separate_s);
}

// The tie-break is the mean log-probability of the generated output re-scored teacher-forced
// under the candidate's weights; it must agree with the log-probabilities the sampler computed for
// the same tokens while generating them (an independent path: incremental decoding, not one
// teacher-forced pass).
TEST_F(AdaptSvfTest, TieBreakIsATeacherForcedRescore) {
  auto model = model::LlamaModel::load(dir_ + "/model");
  const auto store = svf::SvdStore::open(dir_ + "/svd.h5");
  svf::ExpertBank bank = svf::ExpertBank::load(store, experts());
  bank.load_factors(store, *model);
  run::RunnerOptions ro;
  ro.max_new_tokens = 6;
  run::SampleRunner runner(model, tokenizer::Tokenizer::load(dir_ + "/model"), ro, nullptr,
                           bank.factors());
  const TaskData data = load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
  const svf::ScalingSet& math = bank.scaling("math");
  std::vector<run::Job> jobs;
  for (int64_t i : {0, 1, 2}) jobs.push_back({data.task.get(), data.items[i].sample, "", &math, 0});
  run::BatchOptions bo;
  bo.logprobs = true;
  const auto res = runner.run(jobs, bo);
  std::vector<run::SampleRunner::Rescore> items;
  for (const auto& r : res) {
    ASSERT_TRUE(r.ok()) << r.status;
    std::vector<int32_t> out = r.tokens;
    if (r.finish == model::FinishReason::stop_token) out.pop_back();
    items.push_back({r.prompt, out, &math});
  }
  const auto mean = runner.mean_logprobs(items);
  for (size_t k = 0; k < items.size(); ++k) {
    ASSERT_FALSE(items[k].completion.empty());
    double sum = 0;
    for (size_t t = 0; t < items[k].completion.size(); ++t) sum += res[k].logprobs[t];
    EXPECT_NEAR(mean[k], sum / static_cast<double>(items[k].completion.size()), 2e-3) << k;
  }
}

}  // namespace
}  // namespace t2::adapt
