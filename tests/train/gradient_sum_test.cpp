// The exact fixed-point gradient sum of REINFORCE (train/reinforce.h gradient_sum): independent of
// the order of the samples (bit for bit), within the stated rounding of an exact reference sum,
// and safe at the overflow bound. The split over ranks is covered by train_mpi_reinforce_np3
// (1 vs 3 ranks, bit-identical experts).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "base/rng.h"
#include "train/reinforce.h"

namespace t2::train {
namespace {

// B samples of n values spanning many magnitudes (and exact zeros).
std::vector<std::vector<double>> samples(int B, size_t n) {
  std::vector<std::vector<double>> out(static_cast<size_t>(B), std::vector<double>(n));
  for (int k = 0; k < B; ++k) {
    Rng rng = Rng::stream(9, static_cast<uint64_t>(k), RngPurpose::generic);
    for (size_t i = 0; i < n; ++i)
      out[k][i] = i % 7 == 3 ? 0.0 : rng.normal() * std::ldexp(1.0, -static_cast<int>(i % 40));
  }
  return out;
}

double max_abs(const std::vector<std::vector<double>>& g) {
  double m = 0;
  for (const auto& v : g)
    for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

TEST(GradientSum, IndependentOfOrderAndCloseToTheExactSum) {
  const int B = 37;
  const size_t n = 500;
  const auto g = samples(B, n);
  const double m = max_abs(g);
  const dist::Communicator one;
  const std::vector<double> all = gradient_sum(g, n, m, B, one);
  // Any order of the samples: the same bits.
  auto rev = g;
  std::reverse(rev.begin(), rev.end());
  EXPECT_EQ(gradient_sum(rev, n, m, B, one), all);
  // Against a long double reference: within B half-steps of the quantum 2^-S.
  int e = 0;
  std::frexp(m, &e);
  const double quantum = std::ldexp(1.0, -(62 - e - 6));  // ceil(log2 37) = 6
  for (size_t i = 0; i < n; ++i) {
    long double ref = 0;
    for (int k = 0; k < B; ++k) ref += g[k][i];
    ASSERT_LE(std::fabs(static_cast<double>(ref) - all[i]), B * quantum / 2 + 1e-300) << i;
  }
  EXPECT_LT(B * quantum / 2, 1e-15 * m);
}

TEST(GradientSum, ExtremesAndBadBounds) {
  const dist::Communicator one;
  // Every sample at +max and -max: no overflow at the bound, exact result.
  const int B = 256;
  const double m = 0.75;
  std::vector<std::vector<double>> g(B, std::vector<double>{m, -m, 0.0});
  const auto s = gradient_sum(g, 3, m, B, one);
  EXPECT_EQ(s[0], B * m);
  EXPECT_EQ(s[1], -B * m);
  EXPECT_EQ(s[2], 0.0);
  // All zero: zero.
  std::vector<std::vector<double>> z(4, std::vector<double>(5, 0.0));
  EXPECT_EQ(gradient_sum(z, 5, 0.0, 4, one), std::vector<double>(5, 0.0));
  EXPECT_THROW(gradient_sum(z, 5, INFINITY, 4, one), t2::Error);
  EXPECT_THROW(gradient_sum(z, 6, 1.0, 4, one), t2::Error);
}

}  // namespace
}  // namespace t2::train
