// SVD and composition against NumPy/LAPACK references (tests/reference/svf/make_svf_fixtures.py):
// singular values and vectors, c, dense W' (f32, and stored in bf16 for the engine), the factored
// path of the slot override with a different z per sequence, mixtures, and the backward of the
// scaling against finite differences; plus the identities the method relies on (uniform z
// reconstructs W, a mixed batch equals each sequence alone, factored equals dense).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/rng.h"
#include "svf/compose.h"
#include "svf/expert.h"
#include "svf/mixture.h"
#include "svf/override.h"
#include "svf/svd.h"
#include "tensor/ops.h"  // kernel level
namespace t2::svf {
namespace {

using json = nlohmann::json;

const json& fixtures() {
  static const json doc = [] {
    std::ifstream in("tests/reference/svf/fixtures/svf_reference.json");
    EXPECT_TRUE(in.good()) << "run tests from the repository root";
    return json::parse(in);
  }();
  return doc;
}

std::vector<float> f32(const json& a) { return a.get<std::vector<float>>(); }
std::vector<double> f64(const json& a) { return a.get<std::vector<double>>(); }

double max_abs(std::span<const double> a) {
  double m = 0;
  for (double x : a) m = std::max(m, std::abs(x));
  return m;
}

// max |a - b| / max |b|
template <class A> double rel_err(const std::vector<A>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - b[i]));
  return m / max_abs(b);
}

class Reference : public ::testing::TestWithParam<int> {
 protected:
  const json& c() const { return fixtures()["cases"][GetParam()]; }
  std::string name() const { return "case" + std::to_string(GetParam()); }
};

TEST_P(Reference, SingularValuesAndVectorsMatchLapack) {
  const int64_t m = c()["n_out"], n = c()["n_in"];
  const auto w = f32(c()["w"]);
  const auto s_ref = f64(c()["s"]), u_ref = f64(c()["u"]), v_ref = f64(c()["v"]);
  for (auto prec : {SvdPrecision::f32, SvdPrecision::f64}) {
    SCOPED_TRACE(precision_name(prec));
    const double tol = prec == SvdPrecision::f64 ? 1e-6 : 2e-5;  // f64 limited by f32 storage
    Svd svd = compute_svd(w, m, n, prec, name());
    ASSERT_EQ(svd.r, std::min(m, n));
    EXPECT_LT(rel_err(svd.s, s_ref), tol);
    // Singular vectors are defined up to a sign per pair (u_k, v_k): align on the reference.
    for (int64_t k = 0; k < svd.r; ++k) {
      double dot = 0;
      for (int64_t i = 0; i < m; ++i) dot += svd.u[i * svd.r + k] * u_ref[i * svd.r + k];
      const double sign = dot < 0 ? -1 : 1;
      for (int64_t i = 0; i < m; ++i)
        EXPECT_NEAR(sign * svd.u[i * svd.r + k], u_ref[i * svd.r + k], 20 * tol) << "U col " << k;
      for (int64_t j = 0; j < n; ++j)
        EXPECT_NEAR(sign * svd.v[j * svd.r + k], v_ref[j * svd.r + k], 20 * tol) << "V col " << k;
    }
    EXPECT_LT(max_reconstruction_error(svd, w), 1e-5 * max_abs(f64(c()["w"])));
  }
}

TEST_P(Reference, MassFactorAndDenseCompositionMatchNumpy) {
  const int64_t m = c()["n_out"], n = c()["n_in"];
  const double max_mult = c()["max_mult"];
  Svd svd = compute_svd(f32(c()["w"]), m, n, SvdPrecision::f64, name());
  const auto z1 = scaling_from_params(f32(c()["p1"]), max_mult);
  EXPECT_LT(rel_err(z1, f64(c()["z1"])), 1e-6);
  EXPECT_NEAR(mass_factor(svd.s, z1, name()), c()["c1"].get<double>(),
              1e-6 * c()["c1"].get<double>());
  std::vector<float> w1(static_cast<size_t>(m * n));
  compose_dense(svd, z1, w1, name());
  EXPECT_LT(rel_err(w1, f64(c()["w1"])), 1e-5);
  // Stored for the engine in bf16 (8 significant bits): relative error per entry ≤ 2^-8.
  const EngineMatrix b1(w1, m, n, tensor::DType::bf16);
  const auto* bits = static_cast<const uint16_t*>(b1.data());
  const auto w1_ref = f64(c()["w1"]);
  for (size_t i = 0; i < w1_ref.size(); ++i)
    EXPECT_NEAR(tensor::bf16_to_f32(bits[i]), w1_ref[i], std::abs(w1_ref[i]) * 0.0040 + 1e-6) << i;
}

// The factored path of the slot override, y = U · (e_slot ⊙ (Vᵀ x)), with the reference kernels
// (f32 arithmetic), rows of two sequences interleaved.
std::vector<float> factored(const Svd& svd, const std::vector<std::vector<float>>& e,
                            std::span<const float> x, std::span<const int32_t> row_seq) {
  tensor::set_kernel_level(tensor::KernelLevel::reference);
  std::vector<float> scales;
  std::vector<SlotOverride::Route> routes;
  for (size_t q = 0; q < e.size(); ++q) {
    scales.insert(scales.end(), e[q].begin(), e[q].end());
    routes.push_back({-1, static_cast<int32_t>(q)});
  }
  const SlotOverride ov(svd.n_out, svd.n_in, {},
                        std::make_shared<const EngineFactors>(svd, tensor::DType::f32), scales,
                        routes, routes.front());
  const int64_t rows = static_cast<int64_t>(x.size()) / svd.n_in;
  std::vector<float> y(static_cast<size_t>(rows * svd.n_out));
  ov.forward(x.data(), y.data(), rows, row_seq);
  tensor::set_kernel_level(tensor::KernelLevel::fast);
  return y;
}

TEST_P(Reference, FactoredBatchWithPerSequenceZMatchesNumpy) {
  const int64_t m = c()["n_out"], n = c()["n_in"];
  const double max_mult = c()["max_mult"];
  Svd svd = compute_svd(f32(c()["w"]), m, n, SvdPrecision::f32, name());
  const auto e1 = effective_singular_values(svd.s, scaling_from_params(f32(c()["p1"]), max_mult),
                                            name());
  const auto e2 = effective_singular_values(svd.s, scaling_from_params(f32(c()["p2"]), max_mult),
                                            name());
  const auto row_seq = c()["row_seq"].get<std::vector<int32_t>>();
  const auto y = factored(svd, {e1, e2}, f32(c()["x"]), row_seq);
  EXPECT_LT(rel_err(y, f64(c()["y"])), 2e-5);
}

TEST_P(Reference, MixtureScalingRawAndNormalisedMatchNumpy) {
  const int64_t m = c()["n_out"], n = c()["n_in"];
  Expert a, b;
  a.meta.max_mult = b.meta.max_mult = c()["max_mult"];
  a.params["W"] = f32(c()["p1"]);
  b.params["W"] = f32(c()["p2"]);
  Mixture mix;
  mix.experts = {{"a", "a.h5", a.checksum()}, {"b", "b.h5", b.checksum()}};
  mix.alpha = f64(c()["alpha"]);
  const std::vector<Expert> experts{a, b};
  const auto z_raw = mix_scaling(mix, experts, "W");
  EXPECT_LT(rel_err(z_raw, f64(c()["z_mix"])), 1e-6);
  mix.normalise = true;
  const auto z_norm = mix_scaling(mix, experts, "W");
  EXPECT_LT(rel_err(z_norm, f64(c()["z_mix_norm"])), 1e-6);
  Svd svd = compute_svd(f32(c()["w"]), m, n, SvdPrecision::f64, name());
  EXPECT_NEAR(mass_factor(svd.s, z_raw, "W"), c()["c_mix"].get<double>(), 1e-6);
  std::vector<float> w(static_cast<size_t>(m * n));
  compose_dense(svd, z_norm, w, "W");
  EXPECT_LT(rel_err(w, f64(c()["w_mix_norm"])), 1e-5);
  // c makes the composition invariant to a global scale of z: raw and normalised agree.
  compose_dense(svd, z_raw, w, "W");
  EXPECT_LT(rel_err(w, f64(c()["w_mix"])), 1e-5);
  EXPECT_LT(rel_err(w, f64(c()["w_mix_norm"])), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Svf, Reference, ::testing::Range(0, 5));

std::vector<float> random_matrix(int64_t m, int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> w(static_cast<size_t>(m * n));
  for (auto& x : w) x = static_cast<float>(rng.normal() * 0.05);
  return w;
}

TEST(Compose, UniformZReconstructsWToFp32Precision) {
  for (auto [m, n] : {std::pair<int64_t, int64_t>{96, 256}, {256, 96}, {128, 128}}) {
    const auto w = random_matrix(m, n, 7 + m);
    Svd svd = compute_svd(w, m, n, SvdPrecision::f32, "W");
    // p = 0.1 everywhere → z uniform → c cancels it exactly: W' = U diag(σ) Vᵀ = W.
    const auto z = scaling_from_params(std::vector<float>(svd.r, 0.1f), 1.0);
    std::vector<float> w2(w.size());
    compose_dense(svd, z, w2, "W");
    double err = 0, scale = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      err = std::max(err, double(std::abs(w2[i] - w[i])));
      scale = std::max(scale, double(std::abs(w[i])));
    }
    EXPECT_LT(err / scale, 2e-6) << m << "x" << n;  // a few fp32 ulps of the largest entry
  }
}

TEST(Compose, MixedBatchEqualsEachSequenceAloneAndDense) {
  const int64_t m = 48, n = 80, rows = 7, n_seq = 3;
  const auto w = random_matrix(m, n, 11);
  Svd svd = compute_svd(w, m, n, SvdPrecision::f32, "W");
  Rng rng(5);
  std::vector<std::vector<float>> zs, es;
  for (int q = 0; q < n_seq; ++q) {
    std::vector<float> p(svd.r);
    for (auto& x : p) x = static_cast<float>(rng.normal());
    zs.push_back(scaling_from_params(p, 1.0));
    es.push_back(effective_singular_values(svd.s, zs.back(), "W"));
  }
  const auto x = random_matrix(rows, n, 12);
  const std::vector<int32_t> row_seq{2, 0, 1, 1, 2, 0, 2};
  const auto y = factored(svd, es, x, row_seq);
  for (int64_t i = 0; i < rows; ++i) {
    const int q = row_seq[i];
    std::span<const float> xi(x.data() + i * n, n);
    const auto alone = factored(svd, {es[q]}, xi, {});
    // Dense: x · W'ᵀ in double from the composed W'.
    std::vector<float> wq(m * n);
    compose_dense(svd, zs[q], wq, "W");
    for (int64_t j = 0; j < m; ++j) {
      double dense = 0;
      for (int64_t k = 0; k < n; ++k) dense += double(xi[k]) * wq[j * n + k];
      EXPECT_NEAR(y[i * m + j], alone[j], 1e-5) << "row " << i;
      EXPECT_NEAR(y[i * m + j], dense, 1e-4) << "row " << i;
    }
  }
}

// The backward of e(p) = σ ⊙ sigmoid(p) · max_mult · c against central differences of a random
// linear loss L = Σ g ⊙ e, in double.
TEST(Compose, ScalingBackwardMatchesFiniteDifferences) {
  Svd svd = compute_svd(random_matrix(12, 9, 3), 12, 9, SvdPrecision::f64, "W");
  Rng rng(9);
  std::vector<float> p(svd.r);
  std::vector<double> g(svd.r);
  for (auto& x : p) x = static_cast<float>(rng.normal());
  for (auto& x : g) x = rng.normal();
  const double max_mult = 1.7;
  std::vector<double> dp(svd.r);
  effective_singular_values_backward(svd.s, p, max_mult, g, dp, "W");
  const auto loss = [&](const std::vector<float>& q) {
    const auto z = scaling_from_params(q, max_mult);
    double c = 0, t = 0, l = 0;
    for (int64_t k = 0; k < svd.r; ++k) c += svd.s[k], t += double(svd.s[k]) * z[k];
    for (int64_t k = 0; k < svd.r; ++k) l += g[k] * svd.s[k] * z[k] * (c / t);
    return l;
  };
  for (int64_t k = 0; k < svd.r; ++k) {
    std::vector<float> hi(p), lo(p);
    const float h = 1e-2f;
    hi[k] += h;
    lo[k] -= h;
    const double fd = (loss(hi) - loss(lo)) / (double(hi[k]) - double(lo[k]));
    EXPECT_NEAR(dp[k], fd, 1e-4 * (1 + std::abs(fd))) << "parameter " << k;
  }
}

TEST(Compose, ErrorsNameTheMatrix) {
  Svd svd = compute_svd(random_matrix(6, 4, 1), 6, 4, SvdPrecision::f32, "W");
  try {
    mass_factor(svd.s, std::vector<float>(4, 0.0f), "model.layers.1.mlp.up_proj.weight");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.layers.1.mlp.up_proj.weight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("undefined"), std::string::npos);
  }
  EXPECT_THROW(mass_factor(svd.s, std::vector<float>(3, 1.0f), "W"), Error);
  EXPECT_THROW(mix_z({}, {}, false, "W"), Error);
  const std::vector<float> z1(4, 1.0f);
  const std::vector<const std::vector<float>*> zk{&z1, &z1};
  try {
    mix_z(zk, std::vector<double>{0.0, 0.0}, true, "model.layers.2.mlp.gate_proj.weight");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gate_proj"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("all 0"), std::string::npos);
  }
  EXPECT_THROW(mix_z(zk, std::vector<double>{-1.0, 2.0}, false, "W"), Error);
  std::vector<float> nan_w(24, 1.0f);
  nan_w[13] = NAN;
  try {
    compute_svd(nan_w, 6, 4, SvdPrecision::f32, "model.layers.0.mlp.down_proj.weight");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("down_proj"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("[3, 1]"), std::string::npos);
  }
}

}  // namespace
}  // namespace t2::svf
