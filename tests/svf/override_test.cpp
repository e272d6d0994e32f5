// SVF applied to the real engine through its override seam, on the Hugging Face fixture models
// (tests/reference/fixtures, made by tests/reference/make_model_fixtures.py): decomposition of a
// checkpoint directory, uniform z reproducing the base model's log-probs, dense = factored, a batch
// mixing experts equal to each sequence alone, tensor-parallel shards of the factors, and a store
// from another checkpoint refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "../model/fixture.h"  // test::fixture_dir, load_expected
#include "base/error.h"
#include "model/generate.h"
#include "svf/checkpoint.h"
#include "svf/compose.h"
#include "svf/expert.h"
#include "svf/override.h"
#include "svf/svd_store.h"
#include "tensor/ops.h"

namespace t2::svf {
namespace {

namespace fs = std::filesystem;

class OverrideTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tensor::set_kernel_level(tensor::KernelLevel::reference);  // f32 math on every path
    dir_ = fs::temp_directory_path() /
           ("t2_svf_override_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    tensor::set_kernel_level(tensor::KernelLevel::fast);
  }
  std::string path(const std::string& n) const { return (dir_ / n).string(); }

  // Decomposes every projection of a fixture model into path(store).
  std::string decompose(const std::string& fixture, MatrixSet set = MatrixSet::all) {
    const std::string store = path(fixture + ".svd.h5");
    DecomposeOptions o;
    o.progress = false;
    LocalCollective local;
    const auto sum = decompose_to_store(store, weight_source_from_dir(test::fixture_dir(fixture),
                                                                      set), o, local);
    EXPECT_EQ(sum.n_done, sum.n_matrices);
    return store;
  }
  fs::path dir_;
};

std::vector<std::vector<int32_t>> fixture_ids(const std::string& fixture) {
  std::vector<std::vector<int32_t>> ids;
  for (const auto& s : test::load_expected(fixture)) ids.push_back(s.ids);
  return ids;
}

double max_diff(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].size(), b[i].size());
    for (size_t j = 0; j < a[i].size(); ++j) m = std::max(m, double(std::abs(a[i][j] - b[i][j])));
  }
  return m;
}

TEST_F(OverrideTest, DecomposesACheckpointDirectory) {
  const std::string store_path = decompose("llama3_gqa_tied_f32");
  SvdStore store = SvdStore::open(store_path);
  EXPECT_EQ(store.names().size(), 14u);  // 2 layers × (q, k, v, o, gate, up, down)
  EXPECT_LT(store.max_reconstruction_error(), 1e-5);
  const MatrixInfo down = store.info("model.layers.1.mlp.down_proj.weight");
  EXPECT_EQ(down.n_out, 64);
  EXPECT_EQ(down.n_in, 136);
  EXPECT_EQ(down.dtype, "F32");
  EXPECT_EQ(adapted_matrix_names(2, MatrixSet::mlp).size(), 6u);
  EXPECT_EQ(adapted_matrix_names(2, MatrixSet::mlp)[0], "model.layers.0.mlp.gate_proj.weight");
  EXPECT_THROW(parse_matrix_set("mlps"), Error);
}

// Uniform z (p = 0.1 everywhere) must give the base model's log-probs, dense and factored.
TEST_F(OverrideTest, UniformExpertReproducesBaseLogprobs) {
  for (const std::string fixture : {"llama3_gqa_tied_f32", "llama3_gqa_untied_bf16_sharded"}) {
    SCOPED_TRACE(fixture);
    SvdStore store = SvdStore::open(decompose(fixture));
    auto model = model::LlamaModel::load(test::fixture_dir(fixture));
    const FactorSet factors = FactorSet::load(store, *model);
    const ScalingSet uniform = scaling_from_expert(init_expert_constant(store, {}, 0.1f), "u");
    const auto ids = fixture_ids(fixture);
    model::RunContext base(model), dense(model), factored(model);
    register_dense_overrides(dense, factors, uniform);
    std::vector<const ScalingSet*> slots(ids.size(), &uniform);
    register_factored_overrides(factored, factors, slots);
    const auto lp_base = model::score(base, ids);
    // W' = W to fp32 precision; through two layers that moves log-probs by ~1.5e-5 at most
    // (tolerance 5e-5). bf16: dense W' rounds back to the stored bf16 values almost everywhere.
    const double d_dense = max_diff(model::score(dense, ids), lp_base);
    const double d_fact = max_diff(model::score(factored, ids), lp_base);
    std::printf("%s: max |Δ log p| vs base: dense %.3g, factored %.3g\n", fixture.c_str(),
                d_dense, d_fact);
    EXPECT_LT(d_dense, 5e-5);
    EXPECT_LT(d_fact, 5e-5);
  }
}

TEST_F(OverrideTest, DenseEqualsFactoredAndMixedBatchEqualsAlone) {
  const std::string fixture = "llama3_gqa_tied_f32";
  SvdStore store = SvdStore::open(decompose(fixture));
  auto model = model::LlamaModel::load(test::fixture_dir(fixture));
  const FactorSet factors = FactorSet::load(store, *model);
  const ScalingSet a = scaling_from_expert(init_expert_random(store, {}, 1, 0.1, 1.0), "a");
  const ScalingSet b = scaling_from_expert(
      init_expert_random(store, adapted_matrix_names(2, MatrixSet::mlp), 2, 0.0, 2.0), "b");
  const auto ids = fixture_ids(fixture);
  ASSERT_GE(ids.size(), 2u);
  model::RunContext base(model);
  const auto lp_base = model::score(base, ids);

  // Dense with a versus factored with a for every slot.
  model::RunContext dense_a(model), fact_a(model);
  register_dense_overrides(dense_a, factors, a);
  std::vector<const ScalingSet*> all_a(ids.size(), &a);
  register_factored_overrides(fact_a, factors, all_a);
  const auto lp_dense_a = model::score(dense_a, ids);
  const double d_expert = max_diff(lp_dense_a, lp_base);
  const double d_paths = max_diff(model::score(fact_a, ids), lp_dense_a);
  std::printf("expert vs base %.3g, dense vs factored %.3g\n", d_expert, d_paths);
  EXPECT_GT(d_expert, 1e-2);  // the expert really changes the model
  EXPECT_LT(d_paths, 2e-5);

  // One batch: slot 0 → a, slot 1 → b, slot 2.. → base; each equals its own run alone.
  std::vector<const ScalingSet*> mixed{&a, &b};
  while (mixed.size() < ids.size()) mixed.push_back(nullptr);
  model::RunContext fact_mixed(model), dense_b(model);
  register_factored_overrides(fact_mixed, factors, mixed);
  register_dense_overrides(dense_b, factors, b);
  const auto lp_mixed = model::score(fact_mixed, ids);
  const auto lp_dense_b = model::score(dense_b, ids);
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto& alone = i == 0 ? lp_dense_a[i] : i == 1 ? lp_dense_b[i] : lp_base[i];
    for (size_t t = 0; t < alone.size(); ++t)
      EXPECT_NEAR(lp_mixed[i][t], alone[t], 2e-5) << "sequence " << i << " token " << t;
  }
}

TEST_F(OverrideTest, ShardedFactorsComposeTheShardExactly) {
  SvdStore store = SvdStore::open(decompose("llama3_gqa_tied_f32", MatrixSet::mlp));
  const Svd svd = store.read("model.layers.0.mlp.up_proj.weight");  // [136, 64]
  std::vector<float> p(svd.r);
  for (int64_t k = 0; k < svd.r; ++k) p[k] = 0.05f * static_cast<float>(k % 7) - 0.1f;
  const auto z = scaling_from_params(p, 1.0);
  std::vector<float> full(svd.n_out * svd.n_in);
  compose_dense(svd, z, full, "up");
  for (int rank = 0; rank < 2; ++rank) {
    // Column-parallel: rows of W ↔ rows of U.
    const Svd rows = shard_svd(svd, true, rank * 68, 68);
    std::vector<float> w(68 * svd.n_in);
    compose_dense(rows, z, w, "up");
    for (int64_t i = 0; i < 68; ++i)
      for (int64_t j = 0; j < svd.n_in; ++j)
        EXPECT_NEAR(w[i * svd.n_in + j], full[(rank * 68 + i) * svd.n_in + j], 1e-6);
    // Row-parallel: columns of W ↔ rows of V.
    const Svd cols = shard_svd(svd, false, rank * 32, 32);
    std::vector<float> wc(svd.n_out * 32);
    compose_dense(cols, z, wc, "up");
    for (int64_t i = 0; i < svd.n_out; ++i)
      for (int64_t j = 0; j < 32; ++j)
        EXPECT_NEAR(wc[i * 32 + j], full[i * svd.n_in + rank * 32 + j], 1e-6);
  }
}

TEST_F(OverrideTest, StoreFromAnotherModelIsRefused) {
  SvdStore store = SvdStore::open(decompose("llama3_gqa_tied_f32"));
  auto other = model::LlamaModel::load(test::fixture_dir("llama3_gqa_untied_bf16_sharded"));
  try {
    FactorSet::load(store, *other);
    FAIL() << "store accepted for another model";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("llama3_gqa_untied_bf16_sharded"), std::string::npos) << m;
    EXPECT_NE(m.find("different base models"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace t2::svf
