// The vector types of cpu/simd.h (V16: AVX-512, V8: AVX2) against libm and plain loops: exp over
// its whole f32 range (relative error in ulps, overflow, underflow, -inf, NaN), horizontal sum and
// max, the in-register transpose, and partial loads/stores that touch only the named elements.
// Each check runs for every vector level the CPU has; the test functions are compiled inside the
// level's target region, like the kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tensor/cpu/isa.h"
#include "tensor/cpu/simd.h"
#include "tensor/dtype.h"

namespace t2::tensor::fast {
namespace {

// The operations under test on plain arrays of V::N floats.
struct Ops {
  CpuIsa level;
  int lanes;
  void (*exp)(const float* x, float* y);
  float (*hsum)(const float* x);
  float (*hmax)(const float* x);
  void (*transpose)(float* block);  // lanes × lanes, row-major
  // y[0, n) = x[0, n) through a partial load and a partial store; the rest of y untouched.
  void (*copy_partial)(const float* x, float* y, int n);
  // bf16 and f16 partial loads of n elements, widened to f32.
  void (*load16_partial)(const uint16_t* x, bool bf16, float* y, int n);
};

// The same functions compiled for each level (simd_test_ops.inc uses `V` and `kLevel`).
T2_TARGET_BEGIN(T2_TARGET_AVX512)
namespace avx512 {
using V = simd::V16;
constexpr CpuIsa kLevel = CpuIsa::avx512;
#include "simd_test_ops.inc"
}  // namespace avx512
T2_TARGET_END

T2_TARGET_BEGIN(T2_TARGET_AVX2)
namespace avx2 {
using V = simd::V8;
constexpr CpuIsa kLevel = CpuIsa::avx2;
#include "simd_test_ops.inc"
}  // namespace avx2
T2_TARGET_END

class Simd : public ::testing::TestWithParam<CpuIsa> {
 protected:
  void SetUp() override {
    if (GetParam() > cpu_isa_supported())
      GTEST_SKIP() << "this CPU lacks the '" << cpu_isa_name(GetParam()) << "' level";
    ops_ = GetParam() == CpuIsa::avx512 ? avx512::ops() : avx2::ops();
  }
  Ops ops_{};
};

// exp of 16 values, V::N at a time.
std::vector<float> exp_all(const Ops& ops, const std::vector<float>& x) {
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); i += size_t(ops.lanes)) ops.exp(x.data() + i, y.data() + i);
  return y;
}

TEST_P(Simd, ExpWithinThreeUlps) {
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> d(-87.0f, 88.0f);
  std::vector<float> x(16);
  double worst = 0.0;
  for (int it = 0; it < 20000; ++it) {
    for (float& v : x) v = it < 10 ? d(gen) * 0.01f : d(gen);
    const auto y = exp_all(ops_, x);
    for (size_t l = 0; l < x.size(); ++l) {
      double e = std::exp(double(x[l]));
      double ulp = std::ldexp(1.0, std::ilogb(e) - 23);
      worst = std::max(worst, std::fabs(y[l] - e) / ulp);
    }
  }
  EXPECT_LT(worst, 3.0);
}

TEST_P(Simd, ExpSpecialValues) {
  const std::vector<float> x = {0.0f, -INFINITY, INFINITY, NAN, -200.0f, 200.0f, 1.0f, -1.0f,
                                88.7f, -87.3f, 1e-8f, -1e-8f, 0.5f, 2.0f, -103.0f, 89.5f};
  const auto y = exp_all(ops_, x);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[2], INFINITY);
  EXPECT_TRUE(std::isnan(y[3]));
  EXPECT_EQ(y[4], 0.0f);
  EXPECT_EQ(y[5], INFINITY);
  EXPECT_NEAR(y[14], std::exp(-103.0), 1.5e-45);  // subnormal result: one denormal step
  for (int l : {6, 7, 8, 9, 10, 11, 12, 13}) {
    double e = std::exp(double(x[l]));
    EXPECT_NEAR(y[l], e, e * 1e-6) << "x = " << x[l];
  }
  EXPECT_EQ(y[15], INFINITY);
}

TEST_P(Simd, HorizontalSumAndMax) {
  std::vector<float> x(size_t(ops_.lanes));
  double s = 0;
  for (int l = 0; l < ops_.lanes; ++l) s += (x[l] = float(l * l) - 7.5f - (l == 5 ? 100.0f : 0.0f));
  EXPECT_EQ(ops_.hsum(x.data()), float(s));
  EXPECT_EQ(ops_.hmax(x.data()), float((ops_.lanes - 1) * (ops_.lanes - 1)) - 7.5f);
}

TEST_P(Simd, TransposeSwapsRowsAndColumns) {
  const int n = ops_.lanes;
  std::vector<float> b(size_t(n * n));
  for (int i = 0; i < n * n; ++i) b[i] = float(i);
  ops_.transpose(b.data());
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) ASSERT_EQ(b[i * n + j], float(j * n + i)) << i << ", " << j;
}

// Partial loads and stores of n elements, with the source at the very end of a buffer (a read
// past it would be reported by sanitizers) and sentinel values around the destination.
TEST_P(Simd, PartialLoadsAndStoresTouchOnlyTheirElements) {
  const int lanes = ops_.lanes;
  for (int n = 0; n <= lanes; ++n) {
    std::vector<float> src(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) src[i] = float(i) + 0.5f;
    std::vector<float> dst(size_t(lanes), -7.0f);
    ops_.copy_partial(src.data(), dst.data(), n);
    for (int i = 0; i < lanes; ++i) ASSERT_EQ(dst[i], i < n ? src[i] : -7.0f) << "n=" << n;
    std::vector<uint16_t> h(static_cast<size_t>(n));
    for (bool bf16 : {true, false}) {
      for (int i = 0; i < n; ++i) h[i] = bf16 ? uint16_t(0x3f80 + i) : uint16_t(0x3c00 + 0x400 * i);
      std::vector<float> w(size_t(lanes), -7.0f);
      ops_.load16_partial(h.data(), bf16, w.data(), n);
      for (int i = 0; i < lanes; ++i) {
        const float expect = i >= n ? 0.0f : bf16 ? bf16_to_f32(h[i]) : f16_to_f32(h[i]);
        ASSERT_EQ(w[i], expect) << (bf16 ? "bf16" : "f16") << " n=" << n << " lane " << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, Simd, ::testing::Values(CpuIsa::avx2, CpuIsa::avx512),
                         [](const ::testing::TestParamInfo<CpuIsa>& info) {
                           return std::string(cpu_isa_name(info.param));
                         });

}  // namespace
}  // namespace t2::tensor::fast
