// The AVX-512 helpers against libm in double: exp over its whole f32 range (relative error in
// ulps, overflow, underflow, -inf, NaN) and the horizontal sum.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#if defined(__AVX512F__)
#include "tensor/cpu/simd_math.h"

namespace t2::tensor::fast {
namespace {

TEST(SimdMath, ExpWithinThreeUlps) {
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> d(-87.0f, 88.0f);
  alignas(64) float x[16], y[16];
  double worst = 0.0;
  for (int it = 0; it < 20000; ++it) {
    for (float& v : x) v = it < 10 ? d(gen) * 0.01f : d(gen);
    _mm512_store_ps(y, simd::exp(_mm512_load_ps(x)));
    for (int l = 0; l < 16; ++l) {
      double e = std::exp(double(x[l]));
      double ulp = std::ldexp(1.0, std::ilogb(e) - 23);
      worst = std::max(worst, std::fabs(y[l] - e) / ulp);
    }
  }
  EXPECT_LT(worst, 3.0);
}

TEST(SimdMath, ExpSpecialValues) {
  alignas(64) float x[16] = {0.0f, -INFINITY, INFINITY, NAN, -200.0f, 200.0f, 1.0f, -1.0f,
                             88.7f, -87.3f, 1e-8f, -1e-8f, 0.5f, 2.0f, -103.0f, 89.5f};
  alignas(64) float y[16];
  _mm512_store_ps(y, simd::exp(_mm512_load_ps(x)));
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

TEST(SimdMath, HorizontalSum) {
  alignas(64) float x[16];
  double s = 0;
  for (int l = 0; l < 16; ++l) s += (x[l] = float(l * l) - 7.5f);
  EXPECT_EQ(simd::hsum(_mm512_load_ps(x)), float(s));
}

}  // namespace
}  // namespace t2::tensor::fast
#else
TEST(SimdMath, NotBuiltWithoutAvx512) { SUCCEED() << "AVX-512 helpers are not compiled in this build"; }
#endif
