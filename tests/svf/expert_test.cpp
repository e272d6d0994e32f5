// Expert and mixture files: initialisation, round trips, validation against the SVD store, and
// refusal of broken or mismatched inputs (wrong base model, wrong lengths, unknown matrices, NaN,
// truncated files, changed experts, all-zero or negative mixture weights) with clear messages.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "base/error.h"
#include "base/rng.h"
#include "io/file.h"
#include "io/h5.h"
#include "svf/compose.h"
#include "svf/decompose.h"
#include "svf/expert.h"
#include "svf/mixture.h"
#include "svf/svd_store.h"

namespace t2::svf {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kNames{"model.layers.0.mlp.down_proj.weight",
                                      "model.layers.0.mlp.gate_proj.weight",
                                      "model.layers.0.mlp.up_proj.weight"};

class ExpertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("t2_svf_expert_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // A store for a tiny MLP: down [8, 20], gate/up [20, 8].
    WeightSource src;
    src.names = kNames;
    src.fingerprint = "t2fp1-00000000000000aa";
    src.model_id = "tiny";
    src.load = [](const std::string& n) {
      WeightMatrix w;
      w.n_out = n.find("down") != std::string::npos ? 8 : 20;
      w.n_in = w.n_out == 8 ? 20 : 8;
      w.dtype = "F32";
      Rng rng = Rng::stream(1, hash_string(n), RngPurpose::generic);
      w.data.resize(static_cast<size_t>(w.n_out * w.n_in));
      for (auto& x : w.data) x = static_cast<float>(rng.normal());
      return w;
    };
    DecomposeOptions o;
    o.progress = false;
    dist::Communicator local;
    decompose_to_store(path("svd.h5"), src, o, local);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& n) const { return (dir_ / n).string(); }
  SvdStore store() const { return SvdStore::open(path("svd.h5")); }
  fs::path dir_;
};

template <class Fn> std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected t2::Error";
  return "";
}

#define EXPECT_HAS(msg, needle) EXPECT_NE((msg).find(needle), std::string::npos) << (msg)

TEST_F(ExpertTest, ConstantInitGivesUniformZAndRoundTrips) {
  const SvdStore s = store();
  Expert e = init_expert_constant(s, {}, 0.1f);
  EXPECT_EQ(e.params.size(), 3u);
  EXPECT_EQ(e.n_params(), 24);  // 3 matrices × r = 8
  EXPECT_EQ(e.meta.base_fingerprint, s.base_fingerprint());
  for (const auto& n : kNames) {
    for (float z : e.z(n)) EXPECT_FLOAT_EQ(z, 1.0f / (1.0f + std::exp(-0.1f)));
  }
  e.meta.task = "gsm8k";
  e.meta.extra["iteration"] = "120";
  save_expert(e, path("e.h5"));
  Expert back = load_expert(path("e.h5"), s);
  EXPECT_EQ(back.params, e.params);
  EXPECT_EQ(back.meta.task, "gsm8k");
  EXPECT_EQ(back.meta.extra.at("iteration"), "120");
  EXPECT_EQ(back.meta.max_mult, 1.0);
  EXPECT_EQ(back.checksum(), e.checksum());
  // No temporary left beside the published file.
  int files = 0;
  for (auto& f : fs::directory_iterator(dir_)) files += f.path().string().find(".tmp.") != std::string::npos;
  EXPECT_EQ(files, 0);
}

TEST_F(ExpertTest, RandomInitIsSeededPerMatrix) {
  const SvdStore s = store();
  Expert a = init_expert_random(s, {}, 7, 0.1, 0.01);
  Expert b = init_expert_random(s, {kNames[2]}, 7, 0.1, 0.01);
  Expert c = init_expert_random(s, {}, 8, 0.1, 0.01);
  EXPECT_EQ(a.params.at(kNames[2]), b.params.at(kNames[2]));  // independent of the subset
  EXPECT_NE(a.params.at(kNames[2]), c.params.at(kNames[2]));  // depends on the seed
  double sum = 0, sq = 0;
  int n = 0;
  for (auto& [_, p] : a.params)
    for (float x : p) sum += x, sq += x * x, ++n;
  const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
  EXPECT_NEAR(mean, 0.1, 0.01);
  EXPECT_GT(sd, 0.004);
  EXPECT_LT(sd, 0.02);
}

TEST_F(ExpertTest, MismatchesWithTheStoreNameTheProblem) {
  const SvdStore s = store();
  Expert e = init_expert_constant(s, {}, 0.1f);
  Expert wrong_base = e;
  wrong_base.meta.base_fingerprint = "t2fp1-00000000000000bb";
  save_expert(wrong_base, path("base.h5"));
  std::string m = error_of([&] { load_expert(path("base.h5"), s); });
  EXPECT_HAS(m, "base.h5");
  EXPECT_HAS(m, "t2fp1-00000000000000bb");
  EXPECT_HAS(m, "different base models");

  Expert wrong_len = e;
  wrong_len.params[kNames[1]].push_back(0.1f);
  save_expert(wrong_len, path("len.h5"));
  m = error_of([&] { load_expert(path("len.h5"), s); });
  EXPECT_HAS(m, kNames[1]);
  EXPECT_HAS(m, "9 values");
  EXPECT_HAS(m, "8 singular values");

  Expert extra = e;
  extra.params["model.layers.5.self_attn.q_proj.weight"] = std::vector<float>(8, 0.1f);
  save_expert(extra, path("extra.h5"));
  m = error_of([&] { load_expert(path("extra.h5"), s); });
  EXPECT_HAS(m, "model.layers.5.self_attn.q_proj.weight");

  save_expert(e, path("ok.h5"));
  EXPECT_NO_THROW(load_expert(path("ok.h5"), s));
  EXPECT_THROW(load_expert(path("missing.h5"), s), Error);
}

TEST_F(ExpertTest, NonFiniteTruncatedAndTamperedFilesAreRefused) {
  const SvdStore s = store();
  Expert e = init_expert_constant(s, {}, 0.1f);
  save_expert(e, path("e.h5"));
  {  // Overwrite one p with a NaN behind the writer's back.
    auto f = io::h5::File::open(path("e.h5"), io::h5::Mode::read_write);
    auto g = f.group("p");
    g.remove(kNames[0]);
    std::vector<float> p(8, 0.1f);
    p[5] = NAN;
    g.write(kNames[0], p);
  }
  std::string m = error_of([&] { load_expert(path("e.h5")); });
  EXPECT_HAS(m, kNames[0]);
  EXPECT_HAS(m, "p[5]");
  EXPECT_HAS(m, "not finite");

  save_expert(e, path("t.h5"));
  {  // A finite but altered value: the stored checksum catches it.
    auto f = io::h5::File::open(path("t.h5"), io::h5::Mode::read_write);
    auto g = f.group("p");
    g.remove(kNames[0]);
    g.write(kNames[0], std::vector<float>(8, 0.2f));
  }
  m = error_of([&] { load_expert(path("t.h5")); });
  EXPECT_HAS(m, "checksum");

  const std::string bytes = io::read_file(path("e.h5"));
  io::write_file_atomic(path("cut.h5"), std::string_view(bytes).substr(0, bytes.size() / 2));
  m = error_of([&] { load_expert(path("cut.h5")); });
  EXPECT_HAS(m, "cut.h5");
  m = error_of([&] { load_expert(path("svd.h5")); });
  EXPECT_HAS(m, "not an SVF expert file");
}

TEST_F(ExpertTest, MixtureFilesRoundTripAndMixAfterTheSigmoid) {
  const SvdStore s = store();
  Expert a = init_expert_random(s, {}, 1, 0.5, 1.0), b = init_expert_random(s, {}, 2, -0.5, 1.0);
  a.meta.task = "math";
  b.meta.task = "code";
  save_expert(a, path("a.h5"));
  save_expert(b, path("b.h5"));
  Mixture mix;
  mix.base_fingerprint = s.base_fingerprint();
  mix.experts = {{"math", "a.h5", a.checksum()}, {"code", path("b.h5"), b.checksum()}};
  mix.alpha = {0.25, 0.5};
  mix.matrix_names = {kNames[1]};
  mix.alpha_matrix = {1.0, 0.0};
  mix.normalise = true;
  save_mixture(mix, path("mix.h5"));
  Mixture back = load_mixture(path("mix.h5"));
  EXPECT_EQ(back.alpha, mix.alpha);
  EXPECT_EQ(back.alpha_matrix, mix.alpha_matrix);
  EXPECT_EQ(back.matrix_names, mix.matrix_names);
  EXPECT_TRUE(back.normalise);
  // Relative expert paths resolve against the mixture's folder.
  const std::vector<Expert> experts = load_mixture_experts(back, path("mix.h5"), s);
  ASSERT_EQ(experts.size(), 2u);
  ScalingSet z = scaling_from_mixture(back, experts, "mix");
  ASSERT_EQ(z.z.size(), 3u);
  const auto za = a.z(kNames[0]), zb = b.z(kNames[0]);
  for (size_t i = 0; i < za.size(); ++i) {
    EXPECT_NEAR(z.z[kNames[0]][i], (0.25 * za[i] + 0.5 * zb[i]) / 0.75, 1e-6);
  }
  EXPECT_EQ(z.z[kNames[1]], a.z(kNames[1]));  // per-matrix weights (1, 0) pick expert a
  // A changed expert file is noticed through its checksum.
  Expert b2 = b;
  b2.params[kNames[0]][0] += 1.0f;
  save_expert(b2, path("b.h5"));
  std::string m = error_of([&] { load_mixture_experts(back, path("mix.h5"), s); });
  EXPECT_HAS(m, "'code'");
  EXPECT_HAS(m, "changed");
}

// Per-matrix weights for a matrix the experts do not adapt (a misspelt name) would never apply:
// a mixture file carrying one is refused when its experts are loaded.
TEST_F(ExpertTest, MixtureWeightsForAnUnknownMatrixAreRefused) {
  const SvdStore s = store();
  Expert a = init_expert_random(s, {}, 1, 0.5, 1.0);
  save_expert(a, path("a.h5"));
  Mixture mix;
  mix.base_fingerprint = s.base_fingerprint();
  mix.experts = {{"math", "a.h5", a.checksum()}};
  mix.alpha = {1.0};
  mix.matrix_names = {"model.layers.0.mlp.nosuch.weight"};
  mix.alpha_matrix = {0.5};
  save_mixture(mix, path("mix.h5"));  // the file alone cannot know what its experts adapt
  const std::string m = error_of([&] { load_mixture_experts(load_mixture(path("mix.h5")), path("mix.h5"), s); });
  EXPECT_HAS(m, "nosuch");
  EXPECT_HAS(m, "do not adapt");
}

TEST_F(ExpertTest, BadMixtureWeightsAreRefused) {
  const SvdStore s = store();
  Expert a = init_expert_constant(s, {}, 0.1f), b = init_expert_constant(s, {}, -0.1f);
  Mixture mix;
  mix.experts = {{"a", "a.h5", a.checksum()}, {"b", "b.h5", b.checksum()}};
  mix.alpha = {0.0, 0.0};
  const std::vector<Expert> experts{a, b};
  std::string m = error_of([&] { mix_scaling(mix, experts, kNames[0]); });
  EXPECT_HAS(m, "all 0");
  EXPECT_HAS(m, kNames[0]);
  m = error_of([&] { save_mixture(mix, path("zero.h5")); });
  EXPECT_HAS(m, "all 0");
  EXPECT_FALSE(fs::exists(path("zero.h5")));
  mix.alpha = {1.0, 0.0};
  mix.matrix_names = {kNames[1]};
  mix.alpha_matrix = {0.0, 0.0};
  m = error_of([&] { validate_mixture(mix, "m"); });
  EXPECT_HAS(m, kNames[1]);
  EXPECT_HAS(m, "all 0");
  mix.matrix_names.clear();
  mix.alpha_matrix.clear();
  mix.alpha = {0.5, -0.1};
  m = error_of([&] { save_mixture(mix, path("neg.h5")); });
  EXPECT_HAS(m, "'b'");
  EXPECT_HAS(m, "≥ 0");
  mix.alpha = {0.5};
  m = error_of([&] { validate_mixture(mix, "m"); });
  EXPECT_HAS(m, "1 weights for 2 experts");
  mix.alpha = {0.5, NAN};
  EXPECT_THROW(validate_mixture(mix, "m"), Error);
  mix.alpha = {0.5, 0.5};
  mix.experts[1].label = "a";
  m = error_of([&] { validate_mixture(mix, "m"); });
  EXPECT_HAS(m, "appears twice");
}

}  // namespace
}  // namespace t2::svf
