// Every op, at both kernel levels, against independent expectations: values worked out by hand,
// naive double-precision formulas written here (not shared with the kernels), and invariants such
// as RoPE's relative-position property. Argument errors are checked once at the entry level.
#include "tensor/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "test_util.h"

namespace t2::tensor {
namespace {

using testing::LevelGuard;
using testing::random_floats;
using testing::to_dtype;

class OpsTest : public ::testing::TestWithParam<KernelLevel> {
 protected:
  LevelGuard guard_{GetParam()};
};

TEST_P(OpsTest, LinearMatchesDoubleDotProducts) {
  for (DType dt : {DType::f32, DType::bf16, DType::f16}) {
    const int64_t n = 3, m = 5, k = 37;
    auto x = random_floats(n * k, 1);
    auto wf = random_floats(m * k, 2);
    auto w = to_dtype(wf, dt);
    std::vector<float> wq(m * k);  // the weights as stored, back in f32
    convert_to_f32(w.data(), dt, wq.data(), wq.size());
    std::vector<float> y(n * m, 0.0f);
    linear(x.data(), w.data(), dt, y.data(), n, m, k);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t o = 0; o < m; ++o) {
        double acc = 0.0, norm = 0.0;
        for (int64_t j = 0; j < k; ++j) {
          acc += double(x[i * k + j]) * wq[o * k + j];
          norm += std::fabs(double(x[i * k + j]) * wq[o * k + j]);
        }
        // f32 weights are exact to f32 rounding; 16-bit weights may be multiplied in bf16 by the
        // fast kernel (x rounded to bf16: relative 2^-8 per product).
        double tol = dt == DType::f32 || GetParam() == KernelLevel::reference ? 1e-5 * norm : 8e-3 * norm;
        EXPECT_NEAR(y[i * m + o], acc, tol) << dtype_name(dt) << " i=" << i << " o=" << o;
      }
  }
}

TEST_P(OpsTest, LinearAccumulates) {
  const int64_t n = 2, m = 3, k = 4;
  std::vector<float> x = {1, 2, 3, 4, -1, 0, 1, 0};
  std::vector<float> w = {1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1};
  std::vector<float> y = {10, 20, 30, 40, 50, 60};
  linear(x.data(), w.data(), DType::f32, y.data(), n, m, k, /*accumulate=*/true);
  std::vector<float> expect = {11, 22, 40, 39, 50, 60};
  EXPECT_EQ(y, expect);
  linear(x.data(), w.data(), DType::f32, y.data(), n, m, k);
  expect = {1, 2, 10, -1, 0, 0};
  EXPECT_EQ(y, expect);
}

TEST_P(OpsTest, RmsNormByHand) {
  std::vector<float> x = {1, 2, 3, 4, 0, 0, 0, 0};
  std::vector<float> w = {1, 1, 2, 0.5f};
  std::vector<float> y(8);
  rms_norm(x.data(), w.data(), y.data(), 2, 4, 0.0f);
  double inv = 1.0 / std::sqrt(7.5);  // mean(1, 4, 9, 16) = 7.5
  EXPECT_NEAR(y[0], 1 * inv, 1e-6);
  EXPECT_NEAR(y[1], 2 * inv, 1e-6);
  EXPECT_NEAR(y[2], 6 * inv, 1e-6);
  EXPECT_NEAR(y[3], 2 * inv, 1e-6);
  rms_norm(x.data(), w.data(), y.data(), 2, 4, 1e-5f);  // zero row with eps stays zero, finite
  for (int j = 4; j < 8; ++j) EXPECT_EQ(y[j], 0.0f);
  // Aliased output, odd width, against double.
  const int64_t d = 37;
  auto a = random_floats(3 * d, 5, 3.0f);
  auto wd = random_floats(d, 6);
  auto orig = a;
  rms_norm(a.data(), wd.data(), a.data(), 3, d, 1e-6f);
  for (int64_t i = 0; i < 3; ++i) {
    double ss = 0;
    for (int64_t j = 0; j < d; ++j) ss += double(orig[i * d + j]) * orig[i * d + j];
    double r = 1.0 / std::sqrt(ss / d + 1e-6);
    for (int64_t j = 0; j < d; ++j)
      EXPECT_NEAR(a[i * d + j], orig[i * d + j] * r * wd[j], 2e-6 * std::fabs(orig[i * d + j] * r * wd[j]) + 1e-7);
  }
}

TEST_P(OpsTest, RopeByHandAndRelativePosition) {
  // head_dim 2, inv_freq 1: (1, 0) at position 1 → (cos 1, sin 1).
  std::vector<float> x = {1.0f, 0.0f};
  int32_t pos = 1;
  float inv = 1.0f;
  rope(x.data(), &pos, &inv, 1, 1, 2);
  EXPECT_NEAR(x[0], std::cos(1.0), 1e-6);
  EXPECT_NEAR(x[1], std::sin(1.0), 1e-6);
  // Llama layout, head_dim 64, theta 500000: <rope(q, p1), rope(k, p2)> depends only on p1 − p2,
  // and position 0 is the identity.
  const int64_t hd = 64;
  std::vector<float> inv_freq(hd / 2);
  for (int64_t j = 0; j < hd / 2; ++j) inv_freq[j] = float(1.0 / std::pow(500000.0, 2.0 * j / hd));
  auto q = random_floats(hd, 7), k = random_floats(hd, 8);
  auto rot = [&](std::vector<float> v, int32_t p) {
    rope(v.data(), &p, inv_freq.data(), 1, 1, hd);
    return v;
  };
  EXPECT_EQ(rot(q, 0), q);
  auto dot = [](const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
    return s;
  };
  double d1 = dot(rot(q, 17), rot(k, 10)), d2 = dot(rot(q, 7), rot(k, 0));
  EXPECT_NEAR(d1, d2, 1e-4 * (1 + std::fabs(d1)));
  // Several heads and rows: each (j, j + half) pair rotated by its own angle.
  const int64_t n = 3, nh = 2;
  auto xs = random_floats(n * nh * hd, 9);
  auto orig = xs;
  std::vector<int32_t> ps = {0, 5, 1000};
  rope(xs.data(), ps.data(), inv_freq.data(), n, nh, hd);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t j = 0; j < hd / 2; ++j) {
        const float* o = &orig[(i * nh + h) * hd];
        double a = double(float(ps[i]) * inv_freq[j]);
        EXPECT_NEAR(xs[(i * nh + h) * hd + j], o[j] * std::cos(a) - o[j + hd / 2] * std::sin(a), 2e-6);
        EXPECT_NEAR(xs[(i * nh + h) * hd + j + hd / 2], o[j + hd / 2] * std::cos(a) + o[j] * std::sin(a), 2e-6);
      }
}

TEST_P(OpsTest, SiluMulByHand) {
  std::vector<float> g = {0.0f, 1.0f, -2.0f, 30.0f, -100.0f};
  std::vector<float> u = {5.0f, 2.0f, 1.0f, 1.0f, 1.0f};
  std::vector<float> out(5);
  silu_mul(g.data(), u.data(), out.data(), 5);
  for (int i = 0; i < 5; ++i) {
    double s = g[i] / (1.0 + std::exp(-double(g[i])));
    EXPECT_NEAR(out[i], s * u[i], 1e-6 * (1 + std::fabs(s * u[i])));
  }
  silu_mul(g.data(), u.data(), g.data(), 5);  // aliased
  EXPECT_NEAR(g[1], 2.0 / (1.0 + std::exp(-1.0)), 1e-6);
}

// Naive causal GQA attention in double, written independently of the kernels.
std::vector<double> naive_attention(const std::vector<float>& q, const std::vector<float>& k,
                                    const std::vector<float>& v, int64_t n_q, int64_t p0,
                                    int64_t nh, int64_t nkv, int64_t hd, double scale) {
  std::vector<double> out(n_q * nh * hd, 0.0);
  for (int64_t i = 0; i < n_q; ++i)
    for (int64_t h = 0; h < nh; ++h) {
      int64_t kh = h * nkv / nh;
      std::vector<double> w;
      for (int64_t t = 0; t <= p0 + i; ++t) {
        double s = 0;
        for (int64_t j = 0; j < hd; ++j) s += double(q[(i * nh + h) * hd + j]) * k[(t * nkv + kh) * hd + j];
        w.push_back(std::exp(s * scale));
      }
      double z = 0;
      for (double e : w) z += e;
      for (int64_t t = 0; t <= p0 + i; ++t)
        for (int64_t j = 0; j < hd; ++j) out[(i * nh + h) * hd + j] += w[t] / z * v[(t * nkv + kh) * hd + j];
    }
  return out;
}

TEST_P(OpsTest, AttentionMatchesNaiveDouble) {
  struct Case { int64_t n_q, p0, n_ctx, nh, nkv, hd; };
  for (Case c : {Case{1, 0, 1, 1, 1, 4}, Case{5, 0, 5, 4, 2, 8}, Case{1, 9, 10, 4, 1, 16},
                 Case{3, 4, 9, 6, 3, 64}, Case{17, 0, 17, 2, 2, 32}, Case{2, 30, 40, 8, 2, 64}}) {
    auto q = random_floats(c.n_q * c.nh * c.hd, 21), k = random_floats(c.n_ctx * c.nkv * c.hd, 22);
    auto v = random_floats(c.n_ctx * c.nkv * c.hd, 23);
    std::vector<float> out(q.size());
    float scale = 1.0f / std::sqrt(float(c.hd));
    attention(q.data(), k.data(), v.data(), out.data(), c.n_q, c.p0, c.n_ctx, c.nh, c.nkv, c.hd, scale);
    auto expect = naive_attention(q, k, v, c.n_q, c.p0, c.nh, c.nkv, c.hd, scale);
    for (size_t i = 0; i < out.size(); ++i)
      ASSERT_NEAR(out[i], expect[i], 2e-5) << "n_q=" << c.n_q << " p0=" << c.p0 << " hd=" << c.hd << " i=" << i;
  }
}

TEST_P(OpsTest, AttentionFirstPositionCopiesValue) {
  // A query at position 0 sees one key: the output is exactly that value row of its kv head.
  const int64_t nh = 4, nkv = 2, hd = 8, n_ctx = 6;
  auto q = random_floats(nh * hd, 31), k = random_floats(n_ctx * nkv * hd, 32);
  auto v = random_floats(n_ctx * nkv * hd, 33);
  std::vector<float> out(nh * hd);
  attention(q.data(), k.data(), v.data(), out.data(), 1, 0, n_ctx, nh, nkv, hd, 0.3f);
  for (int64_t h = 0; h < nh; ++h)
    for (int64_t j = 0; j < hd; ++j) EXPECT_NEAR(out[h * hd + j], v[(h / 2) * hd + j], 1e-6);
}

TEST_P(OpsTest, LogSoftmaxByHand) {
  std::vector<float> x = {0.0f, float(std::log(2.0)), float(std::log(3.0)), 1000.0f, 1000.0f, -1000.0f};
  std::vector<float> y(6);
  log_softmax(x.data(), y.data(), 2, 3);
  EXPECT_NEAR(y[0], std::log(1.0 / 6), 1e-6);
  EXPECT_NEAR(y[1], std::log(2.0 / 6), 1e-6);
  EXPECT_NEAR(y[2], std::log(3.0 / 6), 1e-6);
  EXPECT_NEAR(y[3], -std::log(2.0), 1e-6);  // large values: no overflow
  EXPECT_NEAR(y[4], -std::log(2.0), 1e-6);
  EXPECT_NEAR(y[5], -2000.0 - std::log(2.0), 1e-3);
  // Aliased, odd width, in double.
  const int64_t d = 1001;
  auto a = random_floats(2 * d, 41, 4.0f);
  auto orig = a;
  log_softmax(a.data(), a.data(), 2, d);
  for (int64_t i = 0; i < 2; ++i) {
    double mx = -1e300, s = 0;
    for (int64_t j = 0; j < d; ++j) mx = std::max(mx, double(orig[i * d + j]));
    for (int64_t j = 0; j < d; ++j) s += std::exp(orig[i * d + j] - mx);
    for (int64_t j = 0; j < d; ++j) ASSERT_NEAR(a[i * d + j], orig[i * d + j] - mx - std::log(s), 1e-5);
  }
}

TEST_P(OpsTest, LogSoftmaxMaskedEntries) {
  // −inf logits (masked tokens) get probability 0 and leave the others as if they were absent.
  std::vector<float> x(37, -INFINITY);
  x[3] = 1.0f;
  x[20] = 2.0f;
  x[36] = 0.5f;
  std::vector<float> y(37);
  log_softmax(x.data(), y.data(), 1, 37);
  double z = std::exp(1.0) + std::exp(2.0) + std::exp(0.5);
  for (int j = 0; j < 37; ++j) {
    if (std::isinf(x[j])) {
      EXPECT_EQ(y[j], -INFINITY) << j;
    } else {
      EXPECT_NEAR(y[j], x[j] - std::log(z), 1e-6) << j;
    }
  }
}

TEST_P(OpsTest, EmbeddingGathersAndConverts) {
  const int64_t n_vocab = 7, d = 19;
  auto tf = random_floats(n_vocab * d, 51);
  std::vector<int32_t> ids = {6, 0, 3, 3};
  for (DType dt : {DType::f32, DType::bf16, DType::f16}) {
    auto table = to_dtype(tf, dt);
    std::vector<float> out(ids.size() * d);
    embedding(table.data(), dt, n_vocab, ids.data(), out.data(), 4, d);
    for (size_t i = 0; i < ids.size(); ++i)
      for (int64_t j = 0; j < d; ++j) {
        float expect = tf[ids[i] * d + j];
        if (dt == DType::bf16) expect = bf16_to_f32(f32_to_bf16(expect));
        if (dt == DType::f16) expect = f16_to_f32(f32_to_f16(expect));
        ASSERT_EQ(out[i * d + j], expect) << dtype_name(dt);
      }
  }
}

TEST_P(OpsTest, AddAliased) {
  std::vector<float> a = {1, 2, 3}, b = {10, 20, 30};
  add(a.data(), b.data(), a.data(), 3);
  EXPECT_EQ(a, (std::vector<float>{11, 22, 33}));
}

INSTANTIATE_TEST_SUITE_P(Levels, OpsTest,
                         ::testing::Values(KernelLevel::reference, KernelLevel::fast),
                         [](const auto& info) { return std::string(kernel_level_name(info.param)); });

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(OpsErrors, ClearMessages) {
  std::vector<float> buf(64);
  std::vector<int32_t> ids = {0, 9};
  EXPECT_NE(error_of([&] { embedding(buf.data(), DType::f32, 8, ids.data(), buf.data() + 32, 2, 4); })
                .find("token id 9 at position 1 is outside the vocabulary [0, 8)"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              attention(buf.data(), buf.data(), buf.data(), buf.data() + 32, 2, 3, 4, 1, 1, 2, 1.0f);
            }).find("cache holds only 4 positions"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              attention(buf.data(), buf.data(), buf.data(), buf.data() + 32, 1, 0, 1, 3, 2, 2, 1.0f);
            }).find("not a multiple"),
            std::string::npos);
  EXPECT_NE(error_of([&] { linear(buf.data(), buf.data(), DType::f32, buf.data() + 2, 2, 2, 2); })
                .find("overlaps"),
            std::string::npos);
  int32_t pos = 0;
  EXPECT_NE(error_of([&] { rope(buf.data(), &pos, buf.data() + 8, 1, 1, 3); }).find("even"),
            std::string::npos);
  EXPECT_NE(error_of([&] { linear(nullptr, buf.data(), DType::f32, buf.data(), 1, 1, 1); }).find("x is null"),
            std::string::npos);
  EXPECT_NE(error_of([&] { add(buf.data(), buf.data(), buf.data(), -1); }).find("n = -1"), std::string::npos);
  EXPECT_NE(error_of([&] { linear(buf.data(), buf.data(), DType(9), buf.data() + 8, 1, 1, 1); })
                .find("unsupported dtype"),
            std::string::npos);
  // Empty work is a no-op, not an error.
  EXPECT_EQ(error_of([&] { linear(buf.data(), buf.data(), DType::f32, buf.data() + 8, 0, 4, 4); }), "");
}

TEST(OpsLevel, DefaultIsFastAndSettable) {
  EXPECT_EQ(kernel_level(), KernelLevel::fast);
  {
    LevelGuard g(KernelLevel::reference);
    EXPECT_EQ(kernel_level(), KernelLevel::reference);
  }
  EXPECT_EQ(kernel_level(), KernelLevel::fast);
}

}  // namespace
}  // namespace t2::tensor
