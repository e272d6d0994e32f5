// Evaluation units (adapt/eval_batch.h) on the tiny random checkpoint with an SVD store and random
// experts: a constant expert (z uniform, so c·z = 1 and W' = W up to fp32 reconstruction)
// reproduces the base model's generations and a strongly random one changes them, records name
// their expert; two-pass units label each sample as pass 1 alone does, answer every sample as a
// batch of its own expert alone does, send "other" to the base model (or, in reference mode, to
// the last expert), and carry per-sample pass times and batch shares. A store of another
// checkpoint is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "adapt/eval_batch.h"
#include "base/error.h"
#include "mini/mini.h"
#include "model/llama/model.h"
#include "svf/checkpoint.h"
#include "svf/decompose.h"
#include "svf/expert.h"
#include "svf/svd_store.h"
#include "tasks/classify.h"
#include "tiny_model.h"

namespace t2::adapt {
namespace {

namespace fs = std::filesystem;

class EvalBatchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / ("t2_eval_batch_test_" + std::to_string(::getpid()))).string();
    test::write_tiny_model(dir_ + "/model");
    std::ofstream f(dir_ + "/gsm8k.jsonl");
    for (const auto& r : mini::make_gsm8k(5, 1, 6)) f << r.dump() << "\n";
    f.close();
    svf::DecomposeOptions o;
    o.progress = false;
    dist::Communicator local;
    svf::decompose_to_store(dir_ + "/svd.h5",
                            svf::weight_source_from_dir(dir_ + "/model", svf::MatrixSet::mlp), o, local);
    const svf::SvdStore store = svf::SvdStore::open(dir_ + "/svd.h5");
    svf::save_expert(svf::init_expert_constant(store, {}, 0.0f), dir_ + "/flat.h5");
    svf::save_expert(svf::init_expert_random(store, {}, 3, 0.0, 4.0), dir_ + "/wild.h5");
    const char* names[] = {"math", "code", "reasoning"};
    for (int k = 0; k < 3; ++k) {
      svf::Expert e = svf::init_expert_random(store, {}, 10 + k, 0.5 * k - 0.5, 2.0);
      e.meta.task = names[k];
      svf::save_expert(e, dir_ + "/" + names[k] + ".h5");
    }
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static svf::ExpertBank bank(const std::vector<std::pair<std::string, std::string>>& experts,
                              const model::LlamaModel& model) {
    const svf::SvdStore store = svf::SvdStore::open(dir_ + "/svd.h5");
    svf::ExpertBank b = svf::ExpertBank::load(store, experts);
    b.load_factors(store, model);
    return b;
  }
  static std::vector<std::pair<std::string, std::string>> three() {
    return {{"math", dir_ + "/math.h5"}, {"code", dir_ + "/code.h5"},
            {"reasoning", dir_ + "/reasoning.h5"}};
  }
  static std::unique_ptr<run::SampleRunner> runner(std::shared_ptr<const model::LlamaModel> model,
                                                   const svf::ExpertBank* b, int64_t max_tokens) {
    run::RunnerOptions o;
    o.max_new_tokens = max_tokens;
    o.apply = svf::ApplyMode::dense;  // the same arithmetic in every batch shape
    return std::make_unique<run::SampleRunner>(model, tokenizer::Tokenizer::load(dir_ + "/model"),
                                               o, nullptr, b ? b->factors() : nullptr);
  }
  static std::string dir_;
};
std::string EvalBatchTest::dir_;

TEST_F(EvalBatchTest, FlatExpertReproducesBaseAndWildExpertChangesIt) {
  auto model = model::LlamaModel::load(dir_ + "/model");
  const TaskData data = load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
  const std::vector<int64_t> idx = {0, 1, 2, 3, 4, 5};
  const auto run_with = [&](const std::string& file, const std::string& label) {
    const svf::ExpertBank b = file.empty() ? svf::ExpertBank() : bank({{"expert", file}}, *model);
    auto r = runner(model, file.empty() ? nullptr : &b, 12);
    EvalPlan plan;
    plan.kind = file.empty() ? StrategyKind::base : StrategyKind::expert;
    plan.bank = &b;
    plan.label = label;
    return run_unit(*r, data, nullptr, idx, plan, true);
  };
  const auto base = run_with("", "base");
  const auto flat = run_with(dir_ + "/flat.h5", "flat");
  const auto wild = run_with(dir_ + "/wild.h5", "wild");
  int n_changed = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    ASSERT_EQ(base[i].status, "ok");
    EXPECT_EQ(base[i].expert, "base");
    EXPECT_EQ(flat[i].text, base[i].text) << "sample " << i;
    EXPECT_EQ(flat[i].expert, "flat");
    EXPECT_EQ(wild[i].expert, "wild");
    n_changed += wild[i].text != base[i].text;
    // A per-sample time of its own, and a share of the batch.
    EXPECT_GT(base[i].pass2_s, 0.0);
    EXPECT_GT(base[i].pass2_wall_s, 0.0);
    EXPECT_EQ(base[i].pass1_s, 0.0);
  }
  EXPECT_GE(n_changed, 3) << "a strongly random expert left most generations unchanged";
}

TEST_F(EvalBatchTest, OtherRunsTheBaseModelOrTheLastExpert) {
  auto model = model::LlamaModel::load(dir_ + "/model");
  const svf::ExpertBank b = bank(three(), *model);
  EvalPlan plan;
  plan.bank = &b;
  EXPECT_EQ(expert_for_label("other", plan), "base");
  EXPECT_EQ(expert_for_label("code", plan), "code");
  EXPECT_EQ(expert_for_label("poetry", plan), "base");
  plan.reference_other = true;
  plan.last_expert = "reasoning";
  EXPECT_EQ(expert_for_label("other", plan), "reasoning");
  EXPECT_EQ(expert_for_label("math", plan), "math");
}

TEST_F(EvalBatchTest, TwoPassMatchesPassOneAloneAndEachExpertAlone) {
  auto model = model::LlamaModel::load(dir_ + "/model");
  const svf::ExpertBank b = bank(three(), *model);
  auto r = runner(model, &b, 8);
  const TaskData data = load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
  const TaskData pass1 = make_dispatch_data(data);
  ASSERT_EQ(pass1.items.size(), data.items.size());
  EXPECT_EQ(pass1.items[0].sample->question, data.items[0].sample->question);
  EXPECT_EQ(pass1.items[0].sample->gold, "math");
  const std::vector<int64_t> idx = {0, 2, 3, 5};
  for (bool reference : {false, true}) {
    EvalPlan plan;
    plan.kind = StrategyKind::prompt;
    plan.bank = &b;
    plan.reference_other = reference;
    plan.last_expert = "reasoning";
    const auto recs = run_unit(*r, data, &pass1, idx, plan, true);
    ASSERT_EQ(recs.size(), idx.size());
    const auto r1 = run_unit(*r, pass1, nullptr, idx, EvalPlan{}, false);  // pass 1 on its own
    for (size_t i = 0; i < idx.size(); ++i) {
      ASSERT_TRUE(recs[i].ok()) << recs[i].status;
      EXPECT_EQ(recs[i].label, tasks::dispatch_label(r1[i].text));
      EXPECT_EQ(recs[i].expert, expert_for_label(recs[i].label, plan));
      EXPECT_GT(recs[i].pass1_s, 0.0);
      EXPECT_GT(recs[i].pass2_s, 0.0);
      EXPECT_GT(recs[i].pass1_wall_s, 0.0);
      EXPECT_GT(recs[i].pass2_wall_s, 0.0);
      // The shared batch answers like a batch of this sample's expert alone.
      EvalPlan one;
      one.bank = &b;
      one.kind = StrategyKind::expert;
      svf::ExpertBank own;
      if (recs[i].expert == "base") {
        one.kind = StrategyKind::base;
      } else {
        own = bank({{"expert", dir_ + "/" + recs[i].expert + ".h5"}}, *model);
        one.bank = &own;
      }
      const std::vector<int64_t> single = {idx[i]};
      const auto alone = run_unit(*r, data, nullptr, single, one, true);
      EXPECT_EQ(recs[i].text, alone[0].text) << "sample " << i << " expert " << recs[i].expert;
      EXPECT_EQ(recs[i].generated_tokens, alone[0].generated_tokens);
    }
    if (reference) {
      for (const auto& rec : recs) EXPECT_NE(rec.expert, "base");
    }
  }
}

TEST_F(EvalBatchTest, RefusesAStoreOfAnotherCheckpoint) {
  test::TinyModelOptions o;
  o.seed = 99;
  test::write_tiny_model(dir_ + "/other", o);
  auto other = model::LlamaModel::load(dir_ + "/other");
  EXPECT_THROW(bank({{"expert", dir_ + "/flat.h5"}}, *other), t2::Error);
}

}  // namespace
}  // namespace t2::adapt
