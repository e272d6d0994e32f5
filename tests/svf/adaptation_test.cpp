// The --svd/--expert/--mixture/--svf-apply options of generate and logprobs: parsing and
// validation, loading with cross-checks, and that applying an expert or a mixture through them
// gives the log-probs of a checkpoint holding the composed matrices (composed_checkpoint.h), dense
// and factored.
#include <gtest/gtest.h>

#include <filesystem>

#include "../model/fixture.h"  // test::fixture_dir, load_expected
#include "base/error.h"
#include "model/generate.h"
#include "composed_checkpoint.h"
#include "svf/adaptation.h"
#include "svf/checkpoint.h"
#include "svf/svd_store.h"
#include "tensor/ops.h"

namespace t2::svf {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

const char* kFixture = "llama3_gqa_tied_f32";

class AdaptationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tensor::set_kernel_level(tensor::KernelLevel::reference);
    dir_ = fs::temp_directory_path() /
           ("t2_svf_adapt_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    DecomposeOptions o;
    o.progress = false;
    dist::Communicator local;
    decompose_to_store(path("svd.h5"), weight_source_from_dir(test::fixture_dir(kFixture),
                                                              MatrixSet::mlp), o, local);
    const SvdStore store = SvdStore::open(path("svd.h5"));
    a_ = init_expert_random(store, {}, 3, 0.1, 1.0);
    a_.meta.task = "math";
    b_ = init_expert_random(store, {}, 4, -0.2, 1.5);
    b_.meta.task = "code";
    save_expert(a_, path("a.h5"));
    save_expert(b_, path("b.h5"));
    model_ = model::LlamaModel::load(test::fixture_dir(kFixture));
    for (const auto& s : test::load_expected(kFixture)) ids_.push_back(s.ids);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    tensor::set_kernel_level(tensor::KernelLevel::fast);
  }
  std::string path(const std::string& n) const { return (dir_ / n).string(); }

  AdaptationOptions parse(std::vector<std::string> args) {
    AdaptationOptions o;
    po::options_description desc;
    add_adaptation_options(desc, o);
    std::vector<const char*> argv{"t2"};
    for (auto& a : args) argv.push_back(a.c_str());
    po::variables_map vm;
    po::store(po::parse_command_line(static_cast<int>(argv.size()), argv.data(), desc), vm);
    po::notify(vm);
    return o;
  }
  std::vector<std::vector<float>> logprobs(const Adaptation& a) {
    model::RunContext ctx(model_);
    Adapter adapter = make_adapter(*model_, a);
    Workload w;
    w.prompt_tokens.assign(ids_.size(), 8);
    w.new_tokens.assign(ids_.size(), 1);
    adapter.attach(ctx, {}, w, a.scaling());
    return model::score(ctx, ids_);
  }
  // The reference: the checkpoint with the composed matrices, run as a plain model.
  std::vector<std::vector<float>> reference(const ScalingSet& s, const std::string& name) {
    const SvdStore store = SvdStore::open(path("svd.h5"));
    model::RunContext ctx(model::LlamaModel::load(
        test::write_composed_checkpoint(test::fixture_dir(kFixture), store, s, path(name))));
    return model::score(ctx, ids_);
  }

  fs::path dir_;
  Expert a_, b_;
  std::shared_ptr<const model::LlamaModel> model_;
  std::vector<std::vector<int32_t>> ids_;
};

void expect_close(const std::vector<std::vector<float>>& x,
                  const std::vector<std::vector<float>>& y, double tol) {
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(x[i].size(), y[i].size());
    for (size_t t = 0; t < x[i].size(); ++t) EXPECT_NEAR(x[i][t], y[i][t], tol) << i << "," << t;
  }
}

TEST_F(AdaptationTest, ValidationListsEveryProblem) {
  EXPECT_TRUE(validate_adaptation_options(parse({})).empty());
  EXPECT_TRUE(validate_adaptation_options(parse({"--svd", "s", "--expert", "e"})).empty());
  EXPECT_EQ(validate_adaptation_options(parse({"--expert", "e", "--mixture", "m",
                                               "--svf-apply", "sparse"})).size(), 3u);
  EXPECT_TRUE(validate_adaptation_options(parse({"--svf-apply", "auto"})).empty());
  EXPECT_EQ(validate_adaptation_options(parse({"--svd", "s"})).size(), 1u);
  EXPECT_EQ(validate_adaptation_options(parse({"--svf-cache-mb", "-1"})).size(), 1u);
  const Adaptation base = load_adaptation(parse({}), *model_);
  EXPECT_EQ(base.scaling(), nullptr);
  EXPECT_EQ(base.description, "base model");
  EXPECT_THROW(load_adaptation(parse({"--expert", path("a.h5")}), *model_), Error);
}

TEST_F(AdaptationTest, ExpertDenseAndFactoredMatchTheComposedCheckpoint) {
  const auto ref = reference(scaling_from_expert(a_, "a"), "ref_a");
  for (const char* mode : {"auto", "dense", "factored"}) {
    SCOPED_TRACE(mode);
    const Adaptation a = load_adaptation(parse({"--svd", path("svd.h5"), "--expert", path("a.h5"),
                                                "--svf-apply", mode}), *model_);
    ASSERT_NE(a.scaling(), nullptr);
    EXPECT_NE(a.description.find("math"), std::string::npos);
    expect_close(logprobs(a), ref, 2e-5);
  }
}

TEST_F(AdaptationTest, MixtureMatchesTheComposedCheckpointOfTheMixedScaling) {
  Mixture mix;
  mix.base_fingerprint = a_.meta.base_fingerprint;
  mix.experts = {{"math", "a.h5", a_.checksum()}, {"code", "b.h5", b_.checksum()}};
  mix.alpha = {0.7, 0.2};
  save_mixture(mix, path("mix.h5"));
  const std::vector<Expert> experts{a_, b_};
  const auto ref = reference(scaling_from_mixture(mix, experts, "m"), "ref_mix");
  const Adaptation a = load_adaptation(parse({"--svd", path("svd.h5"), "--mixture",
                                              path("mix.h5")}), *model_);
  EXPECT_NE(a.description.find("math=0.7"), std::string::npos) << a.description;
  expect_close(logprobs(a), ref, 2e-5);
}

TEST_F(AdaptationTest, StoreOfAnotherModelIsRefusedBeforeAnyRun) {
  auto other = model::LlamaModel::load(test::fixture_dir("llama2_mha_untied_f32_sharded"));
  try {
    load_adaptation(parse({"--svd", path("svd.h5"), "--expert", path("a.h5")}), *other);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("different base models"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace t2::svf
