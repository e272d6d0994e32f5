// Two-pass dispatch and candidate scoring on a tiny random checkpoint with an SVD store and three
// random experts: dispatch labels, strategy validation, "other" really runs the base model (no
// override registered), the shared factored pass-2 batch answers each sample exactly as a batch of
// its own expert does, and shared-batch candidate scoring agrees with per-candidate recomposition.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "adapt/candidate_scorer.h"
#include "adapt/dispatch.h"
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
    svf::LocalCollective local;
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

TEST_F(AdaptSvfTest, OtherRunsTheBaseModel) {
  auto model = model::LlamaModel::load(dir_ + "/model");
  const SvfBank bank = load_svf_bank(dir_ + "/svd.h5", experts(), "", *model);
  model::RunContext ctx(model);
  const int n_w = static_cast<int>(model->weights().all().size());
  auto n_overrides = [&] {
    int n = 0;
    for (int i = 0; i < n_w; ++i) n += ctx.override_for(i) != nullptr;
    return n;
  };
  SlotStrategy(StrategyKind::prompt, bank.factors, {nullptr, nullptr}).apply(ctx);
  EXPECT_EQ(n_overrides(), 0);
  SlotStrategy(StrategyKind::prompt, bank.factors, {nullptr, &bank.scalings.at("code")}).apply(ctx);
  EXPECT_EQ(n_overrides(), 6);  // 2 layers x 3 MLP matrices
  SlotStrategy(StrategyKind::prompt, bank.factors, {nullptr}).apply(ctx);
  EXPECT_EQ(n_overrides(), 0);  // earlier overrides removed
  DispatchPlan plan;
  plan.bank = &bank;
  EXPECT_EQ(expert_for_label("other", plan), "base");
  EXPECT_EQ(expert_for_label("code", plan), "code");
  plan.reference_other = true;
  plan.last_expert = "reasoning";
  EXPECT_EQ(expert_for_label("other", plan), "reasoning");
  EXPECT_EQ(expert_for_label("math", plan), "math");
}

TEST_F(AdaptSvfTest, TwoPassMatchesSingleExpertBatches) {
  auto model = model::LlamaModel::load(dir_ + "/model");
  const SvfBank bank = load_svf_bank(dir_ + "/svd.h5", experts(), "", *model);
  RunnerOptions ro;
  ro.max_tokens = 8;
  SampleRunner runner(model, tokenizer::Tokenizer::load(dir_ + "/model"), ro, nullptr);
  const TaskData data = load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
  const TaskData pass1 = make_dispatch_data(data);
  ASSERT_EQ(pass1.items.size(), data.items.size());
  EXPECT_EQ(pass1.items[0].sample->question, data.items[0].sample->question);
  EXPECT_EQ(pass1.items[0].sample->gold, "math");
  const std::vector<int64_t> idx = {0, 2, 3, 5};
  for (bool reference : {false, true}) {
    DispatchPlan plan;
    plan.kind = StrategyKind::prompt;
    plan.bank = &bank;
    plan.reference_other = reference;
    plan.last_expert = "reasoning";
    const auto recs = run_two_pass(runner, data, pass1, idx, plan, true);
    ASSERT_EQ(recs.size(), idx.size());
    // Pass 1 of each sample, on its own, gives the same label.
    const auto base = make_base_strategy();
    const auto r1 = runner.run_batch(pass1, idx, *base, false);
    for (size_t i = 0; i < idx.size(); ++i) {
      ASSERT_TRUE(recs[i].ok()) << recs[i].status;
      EXPECT_EQ(recs[i].label, tasks::dispatch_label(r1[i].text));
      EXPECT_EQ(recs[i].expert, expert_for_label(recs[i].label, plan));
      EXPECT_GT(recs[i].pass1_s, 0.0);
      EXPECT_GT(recs[i].pass2_s, 0.0);
      // The shared batch answers like a batch of this sample's expert alone.
      std::unique_ptr<Strategy> own = recs[i].expert == "base"
                                          ? make_base_strategy()
                                          : make_scaling_strategy(StrategyKind::expert, bank, recs[i].expert);
      const std::vector<int64_t> one = {idx[i]};
      const auto alone = runner.run_batch(data, one, *own, true);
      EXPECT_EQ(recs[i].text, alone[0].text) << "sample " << i << " expert " << recs[i].expert;
      EXPECT_EQ(recs[i].generated_tokens, alone[0].generated_tokens);
    }
    if (reference) {
      for (const auto& r : recs) EXPECT_NE(r.expert, "base");
    }
  }
}

TEST_F(AdaptSvfTest, SharedBatchScoringMatchesPerCandidate) {
  auto model = model::LlamaModel::load(dir_ + "/model");
  std::vector<svf::Expert> ex;
  std::vector<std::string> labels, paths;
  for (const auto& [l, p] : experts()) {
    ex.push_back(svf::load_expert(p));
    labels.push_back(l);
    paths.push_back(p);
  }
  const ExpertBank bank = make_expert_bank(labels, ex, paths, false, false);
  EXPECT_EQ(bank.dim(), 3);
  // One-hot α reproduces the expert's own z; normalised α sums to one.
  const auto one_hot = bank.scaling(std::vector<double>{0, 1, 0}, "x");
  EXPECT_EQ(one_hot.z.at(bank.matrices[0]), ex[1].z(bank.matrices[0]));
  const auto store = svf::SvdStore::open(dir_ + "/svd.h5");
  RunnerOptions ro;
  ro.max_tokens = 6;
  CandidateScorer scorer(model, tokenizer::Tokenizer::load(dir_ + "/model"), ro, nullptr,
                         svf::FactorSet::load(store, *model, bank.matrices), &bank);
  const TaskData data = load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
  const std::vector<std::vector<double>> alphas = {
      {1, 0, 0}, {0.2, 0.7, 0.1}, {0, 0, 0}, {0.9, 0.9, 0.9}};
  const std::vector<int64_t> items = {0, 1, 2, 3};
  Timer t1;
  const auto shared = scorer.score(data, alphas, items);
  const double shared_s = t1.seconds();
  Timer t2;
  const auto dense = scorer.score_dense(data, alphas, items);
  const double dense_s = t2.seconds();
  for (size_t c = 0; c < alphas.size(); ++c)
    for (size_t i = 0; i < items.size(); ++i) {
      if (c == 2) {  // all-zero α: z' = 0, W' undefined; not generated, counts as wrong
        EXPECT_EQ(shared[c][i].status.rfind("degenerate mixture: all weights 0", 0), 0u);
        EXPECT_FALSE(shared[c][i].correct);
        EXPECT_EQ(shared[c][i].generated_tokens, 0);
        continue;
      }
      EXPECT_EQ(shared[c][i].status, "ok");
      EXPECT_EQ(shared[c][i].generated_tokens, dense[c][i].generated_tokens);
      EXPECT_NEAR(shared[c][i].mean_logprob, dense[c][i].mean_logprob, 2e-3) << c << " " << i;
    }
  // Different mixtures give different outputs (the overrides are live).
  EXPECT_NE(shared[0][0].mean_logprob, shared[1][0].mean_logprob);
  std::printf("4 candidates x 4 samples: shared factored batch %.3f s, per-candidate dense %.3f s\n",
              shared_s, dense_s);
}

}  // namespace
}  // namespace t2::adapt
