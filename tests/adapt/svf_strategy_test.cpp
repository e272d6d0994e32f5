// The expert strategy on the tiny random checkpoint: its MLP matrices are decomposed with the svf
// module, then (a) a constant expert (z uniform, so c·z = 1 and W' = W up to fp32 reconstruction)
// must reproduce the base model's generations, (b) a strongly random expert must change them, and
// (c) records name the expert. A store from another checkpoint is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "adapt/sample_runner.h"
#include "adapt/svf_strategy.h"
#include "base/error.h"
#include "mini/mini.h"
#include "model/llama/model.h"
#include "svf/checkpoint.h"
#include "svf/decompose.h"
#include "svf/expert.h"
#include "svf/svd_store.h"
#include "tiny_model.h"

namespace t2::adapt {
namespace {

namespace fs = std::filesystem;

class SvfStrategyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / ("t2_svf_strategy_test_" + std::to_string(::getpid()))).string();
    test::write_tiny_model(dir_ + "/model");
    std::ofstream f(dir_ + "/gsm8k.jsonl");
    for (const auto& r : mini::make_gsm8k(5, 1, 6)) f << r.dump() << "\n";
    f.close();
    svf::DecomposeOptions o;
    o.progress = false;
    svf::LocalCollective local;
    svf::decompose_to_store(dir_ + "/svd.h5", svf::weight_source_from_dir(dir_ + "/model", svf::MatrixSet::mlp),
                            o, local);
    const svf::SvdStore store = svf::SvdStore::open(dir_ + "/svd.h5");
    svf::save_expert(svf::init_expert_constant(store, {}, 0.0f), dir_ + "/flat.h5");
    svf::save_expert(svf::init_expert_random(store, {}, 3, 0.0, 4.0), dir_ + "/wild.h5");
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static std::vector<io::SampleRecord> run(const Strategy& s) {
    auto model = model::LlamaModel::load(dir_ + "/model");
    RunnerOptions o;
    o.max_tokens = 12;
    SampleRunner runner(model, tokenizer::Tokenizer::load(dir_ + "/model"), o, nullptr);
    const TaskData data = load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
    const std::vector<int64_t> idx = {0, 1, 2, 3, 4, 5};
    return runner.run_batch(data, idx, s);
  }
  static std::string dir_;
};
std::string SvfStrategyTest::dir_;

TEST_F(SvfStrategyTest, FlatExpertReproducesBaseAndWildExpertChangesIt) {
  auto model = model::LlamaModel::load(dir_ + "/model");
  const auto base = run(*make_base_strategy());
  const auto flat_s = make_expert_strategy(dir_ + "/svd.h5", dir_ + "/flat.h5", *model);
  const auto wild_s = make_expert_strategy(dir_ + "/svd.h5", dir_ + "/wild.h5", *model);
  EXPECT_EQ(flat_s->kind(), StrategyKind::expert);
  EXPECT_EQ(flat_s->label(), "flat");
  const auto flat = run(*flat_s);
  const auto wild = run(*wild_s);
  int n_changed = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    ASSERT_EQ(base[i].status, "ok");
    EXPECT_EQ(flat[i].text, base[i].text) << "sample " << i;
    EXPECT_EQ(flat[i].expert, "flat");
    EXPECT_EQ(wild[i].expert, "wild");
    n_changed += wild[i].text != base[i].text;
  }
  EXPECT_GE(n_changed, 3) << "a strongly random expert left most generations unchanged";
}

TEST_F(SvfStrategyTest, RefusesAStoreOfAnotherCheckpoint) {
  test::TinyModelOptions o;
  o.seed = 99;
  test::write_tiny_model(dir_ + "/other", o);
  auto other = model::LlamaModel::load(dir_ + "/other");
  EXPECT_THROW(make_expert_strategy(dir_ + "/svd.h5", dir_ + "/flat.h5", *other), t2::Error);
}

}  // namespace
}  // namespace t2::adapt
