// Gradients of the training decoder against torch autograd through Hugging Face transformers
// (fixtures from tests/reference/train/make_grad_fixtures.py) and against central finite
// differences: all weights (pretraining) and SVF parameters p (through c and the sigmoid), with
// and without the KL term.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "base/error.h"

#include "train/decoder.h"
#include "svf/compose.h"
#include "svf/svd.h"
#include "grad_fixture.h"

namespace t2::train {
namespace {

using model::LayerTensor;
using test::GradFixture;

const char* kCases[] = {"gqa_untied", "mha_tied_llama3"};

// Max |a − b| relative to max |b| (floor 1).
double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 1e-3;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return diff / scale;
}

// SVF adapters on every MLP matrix, from the fixture's U, S, V and p.
struct SvfSetup {
  std::vector<svf::Svd> mats;
  std::vector<std::string> names;
  std::vector<std::vector<float>> p;
  std::vector<SvfAdapter> adapters;
  std::vector<std::pair<int64_t, LayerTensor>> where;

  SvfSetup(const GradFixture& f, Decoder& dec) {
    const auto& c = f.params->config();
    for (int64_t l = 0; l < c.n_layer; ++l) {
      for (LayerTensor t : {LayerTensor::gate_proj, LayerTensor::up_proj, LayerTensor::down_proj}) {
        const std::string name = model::layer_tensor_name(l, t);
        svf::Svd m;
        m.u = f.tensor("svf/" + name + "/U");
        m.s = f.tensor("svf/" + name + "/S");
        m.v = f.tensor("svf/" + name + "/V");
        m.r = static_cast<int64_t>(m.s.size());
        m.n_out = static_cast<int64_t>(m.u.size()) / m.r;
        m.n_in = static_cast<int64_t>(m.v.size()) / m.r;
        mats.push_back(std::move(m));
        names.push_back(name);
        p.push_back(f.tensor("svf/" + name + "/p"));
        where.emplace_back(l, t);
      }
    }
    adapters.resize(mats.size());
    for (size_t i = 0; i < mats.size(); ++i) {
      adapters[i].svd = &mats[i];
      adapters[i].grad_e.assign(static_cast<size_t>(mats[i].r), 0.0);
    }
    rescale(f.max_mult);
    for (size_t i = 0; i < mats.size(); ++i)
      dec.set_adapter(where[i].first, where[i].second, &adapters[i]);
  }
  void rescale(float max_mult) {
    for (size_t i = 0; i < mats.size(); ++i)
      adapters[i].e = svf::effective_singular_values(
          mats[i].s, svf::scaling_from_params(p[i], max_mult), names[i]);
  }
  std::vector<float> grad_p(size_t i, float max_mult) const {
    std::vector<double> dp(mats[i].r);
    svf::effective_singular_values_backward(mats[i].s, p[i], max_mult, adapters[i].grad_e, dp,
                                            names[i]);
    return std::vector<float>(dp.begin(), dp.end());
  }
};

TEST(TrainGrad, AllWeightGradientsMatchTorch) {
  for (const char* name : kCases) {
    SCOPED_TRACE(name);
    GradFixture f = test::load_grad_fixture(name);
    f.params->allocate_grads();
    Decoder dec(*f.params);
    const ForwardResult r = dec.run(f.batch, /*backward=*/true);
    EXPECT_NEAR(r.loss, f.loss, 1e-4 * std::fabs(f.loss));
    double worst = 0;
    for (const Param& p : f.params->all()) {
      const std::vector<float> ref = f.tensor("grad/" + p.name);
      ASSERT_EQ(ref.size(), p.g.size()) << p.name;
      const double e = rel_err(p.g, ref);
      worst = std::max(worst, e);
      EXPECT_LT(e, 2e-5) << p.name;
    }
    std::printf("%s: loss %.6f (torch %.6f), worst weight-gradient error %.2e of max |grad|\n",
                name, r.loss, f.loss, worst);
  }
}

TEST(TrainGrad, SvfParameterGradientsMatchTorch) {
  for (const char* name : kCases) {
    SCOPED_TRACE(name);
    GradFixture f = test::load_grad_fixture(name);
    Decoder dec(*f.params);
    SvfSetup svf(f, dec);
    DecoderOptions opt;
    opt.weight_grads = false;
    const ForwardResult r = dec.run(f.batch, true, opt);
    EXPECT_NEAR(r.loss, f.svf_loss, 1e-4 * std::fabs(f.svf_loss));
    double worst = 0;
    for (size_t i = 0; i < svf.mats.size(); ++i) {
      const std::vector<float> ref = f.tensor("svf/" + svf.names[i] + "/grad_p");
      const double e = rel_err(svf.grad_p(i, f.max_mult), ref);
      worst = std::max(worst, e);
      EXPECT_LT(e, 2e-5) << svf.names[i];
    }
    std::printf("%s: SVF loss %.6f (torch %.6f), worst dL/dp error %.2e of max |grad|\n", name,
                r.loss, f.svf_loss, worst);
  }
}

// Central differences in double around f32 forward passes: h large enough that f32 rounding of
// the loss (~1e-7 · |loss|) stays well under the tolerance.
TEST(TrainGrad, WeightGradientsMatchFiniteDifferences) {
  GradFixture f = test::load_grad_fixture("gqa_untied");
  f.params->allocate_grads();
  Decoder dec(*f.params);
  dec.run(f.batch, true);
  const char* names[] = {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                         "model.layers.1.self_attn.k_proj.weight",
                         "model.layers.0.mlp.down_proj.weight", "model.layers.1.input_layernorm.weight",
                         "model.norm.weight", "lm_head.weight"};
  const float h = 1e-2f;
  for (const char* nm : names) {
    Param* p = f.params->find(nm);
    ASSERT_NE(p, nullptr) << nm;
    // The coordinate with the largest gradient, and one with a mid-sized one.
    size_t best = 0;
    for (size_t i = 0; i < p->g.size(); ++i)
      if (std::fabs(p->g[i]) > std::fabs(p->g[best])) best = i;
    for (size_t idx : {best, p->g.size() / 3}) {
      const float w0 = p->w[idx];
      p->w[idx] = w0 + h;
      const double lp = dec.run(f.batch, false).loss;
      p->w[idx] = w0 - h;
      const double lm = dec.run(f.batch, false).loss;
      p->w[idx] = w0;
      const double fd = (lp - lm) / (2.0 * h);
      EXPECT_NEAR(p->g[idx], fd, 2e-3 + 1e-2 * std::fabs(fd)) << nm << "[" << idx << "]";
    }
  }
}

TEST(TrainGrad, SvfGradientsMatchFiniteDifferencesWithKl) {
  for (float kl : {0.0f, 0.7f}) {
    SCOPED_TRACE(kl);
    GradFixture f = test::load_grad_fixture("gqa_untied");
    Decoder dec(*f.params);
    SvfSetup svf(f, dec);
    // Move p away from the near-uniform start so the KL term has a real gradient.
    for (auto& p : svf.p)
      for (size_t i = 0; i < p.size(); ++i) p[i] += (i % 3 == 0) ? 1.5f : -0.8f;
    svf.rescale(f.max_mult);
    DecoderOptions opt;
    opt.weight_grads = false;
    opt.kl_coef = kl;
    const ForwardResult r0 = dec.run(f.batch, true, opt);
    if (kl > 0) {
      EXPECT_GT(r0.kl, 1e-4);
    }
    const float h = 2e-2f;
    for (size_t m : {size_t{0}, size_t{4}}) {
      const std::vector<float> g = svf.grad_p(m, f.max_mult);
      for (size_t idx : {size_t{0}, size_t{3}, g.size() - 1}) {
        const float p0 = svf.p[m][idx];
        svf.p[m][idx] = p0 + h;
        svf.rescale(f.max_mult);
        const double lp = dec.run(f.batch, false, opt).loss;
        svf.p[m][idx] = p0 - h;
        svf.rescale(f.max_mult);
        const double lm = dec.run(f.batch, false, opt).loss;
        svf.p[m][idx] = p0;
        svf.rescale(f.max_mult);
        const double fd = (lp - lm) / (2.0 * h);
        EXPECT_NEAR(g[idx], fd, 2e-3 + 2e-2 * std::fabs(fd)) << svf.names[m] << "[" << idx << "]";
      }
    }
  }
}

TEST(TrainGrad, SvdReconstructsAndScalingKeepsMass) {
  GradFixture f = test::load_grad_fixture("gqa_untied");
  const Param& w = f.params->layer(1, LayerTensor::gate_proj);
  const svf::Svd m = svf::compute_svd(w.w, w.rows, w.cols, svf::SvdPrecision::f64, w.name);
  std::vector<float> p(m.r, 0.3f), back(w.w.size());
  p[0] = -2.0f;
  const std::vector<float> s =
      svf::effective_singular_values(m.s, svf::scaling_from_params(p, 1.0), w.name);
  double sum_s = 0, sum_sigma = 0;
  for (int64_t i = 0; i < m.r; ++i) sum_s += s[i], sum_sigma += m.s[i];
  EXPECT_NEAR(sum_s, sum_sigma, 1e-4 * sum_sigma);
  svf::product(m, m.s, back);  // U · diag(S) · Vᵀ
  EXPECT_LT(rel_err(back, w.w), 1e-5);
  std::vector<float> zero_p(m.r, -1e4f);  // sigmoid underflows to 0: c undefined
  EXPECT_THROW(svf::effective_singular_values(m.s, svf::scaling_from_params(zero_p, 1.0), w.name),
               t2::Error);
}

TEST(TrainGrad, MalformedExamplesAreRejected) {
  GradFixture f = test::load_grad_fixture("gqa_untied");
  Decoder dec(*f.params);
  std::vector<SeqExample> bad = {{{1, 2, 3}, {0.0f, 1.0f}}};
  EXPECT_THROW(dec.run(bad, false), t2::Error);
  bad = {{{1, 2, 3}, {1.0f, 1.0f, 1.0f}}};
  EXPECT_THROW(dec.run(bad, false), t2::Error);
  bad = {{{1, 2, 96}, {0.0f, 1.0f, 1.0f}}};
  EXPECT_THROW(dec.run(bad, false), t2::Error);
}

}  // namespace
}  // namespace t2::train
