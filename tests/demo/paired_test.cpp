// Paired differences of the demo (src/cli/demo_paired.h) against numpy: mean of d = other − base
// and std(d, ddof=1) / sqrt(n), computed with numpy 2.4.6 on the vectors below:
//   import numpy as np
//   d = np.array(other) - np.array(base); d.mean(), d.std(ddof=1) / np.sqrt(len(d))
// The 200-sample vectors are numpy's default_rng(5): b = (rng.random(200) < 0.3), then
// o = where(rng.random(200) < 0.6, b, rng.random(200) < 0.5).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/demo_paired.h"

namespace t2::cli::demo {
namespace {

std::vector<int> bits(const std::string& s) {
  std::vector<int> v;
  for (char c : s) v.push_back(c == '1');
  return v;
}

TEST(DemoPaired, MatchesNumpy) {
  PairedDifference d = paired_difference(bits("100101000110"), bits("110111010011"));
  EXPECT_EQ(d.n, 12);
  EXPECT_DOUBLE_EQ(d.base, 5.0 / 12);
  EXPECT_DOUBLE_EQ(d.other, 8.0 / 12);
  EXPECT_DOUBLE_EQ(d.delta, 0.25);
  EXPECT_NEAR(d.se, 0.17943514064131835, 1e-15);
  EXPECT_FALSE(d.beyond_noise);  // 0.25 < 2 * 0.179

  const std::string b =
      "00011001100100000001010100100101001000100010000110100000010000101000010000000001000000001000000101010010"
      "100101011100000000000000011111110000000000001000000110001000000001001000101111010111000010010110";
  const std::string o =
      "01011001011111000101010100101101001000101011000110000000010011101010010010000101001000011000101111011010"
      "100100011000000001000011010111110000010011101000100010001000000001001000011111110100000000011110";
  d = paired_difference(bits(b), bits(o));
  EXPECT_EQ(d.n, 200);
  EXPECT_NEAR(d.delta, 0.105, 1e-15);
  EXPECT_NEAR(d.se, 0.03122096641231006, 1e-15);
  EXPECT_TRUE(d.beyond_noise);
  const nlohmann::json j = to_json(d);
  EXPECT_NEAR(j.at("noise_2se").get<double>(), 2 * 0.03122096641231006, 1e-15);
  EXPECT_EQ(j.at("n"), 200);
}

TEST(DemoPaired, EdgeCases) {
  // Identical systems: no difference, no noise, not beyond it.
  PairedDifference d = paired_difference(bits("1010"), bits("1010"));
  EXPECT_EQ(d.delta, 0.0);
  EXPECT_EQ(d.se, 0.0);
  EXPECT_FALSE(d.beyond_noise);
  // Every sample gained: the difference is certain.
  d = paired_difference(bits("000"), bits("111"));
  EXPECT_EQ(d.delta, 1.0);
  EXPECT_EQ(d.se, 0.0);
  EXPECT_TRUE(d.beyond_noise);
  // One sample says nothing about the noise.
  d = paired_difference(bits("0"), bits("1"));
  EXPECT_FALSE(d.beyond_noise);
  EXPECT_EQ(paired_difference(std::vector<int>{}, std::vector<int>{}).n, 0);
  EXPECT_THROW(paired_difference(bits("01"), bits("0")), t2::Error);
}

TEST(DemoPaired, PairsBySampleIndexAndSkipsShots) {
  const std::map<int64_t, int> base = {{0, 1}, {1, 0}, {2, 0}, {3, 1}, {4, 0}};
  const std::map<int64_t, int> other = {{4, 1}, {3, 1}, {2, 1}, {1, 0}, {0, 0}};
  // Without shot 2: pairs (1,0) (0,0) (1,1) (0,1) -> d = -1, 0, 0, 1.
  const PairedDifference d = paired_difference(base, other, {2}, "test");
  EXPECT_EQ(d.n, 4);
  EXPECT_DOUBLE_EQ(d.delta, 0.0);
  EXPECT_NEAR(d.se, std::sqrt(2.0 / 3.0 / 4.0), 1e-15);
  // A sample only one run saw is an error naming what was compared.
  std::map<int64_t, int> fewer = other;
  fewer.erase(4);
  try {
    paired_difference(base, fewer, {}, "math expert vs base");
    ADD_FAILURE() << "no error";
  } catch (const t2::Error& e) {
    EXPECT_NE(std::string(e.what()).find("math expert vs base: sample 4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(paired_difference(fewer, base, {}, "x"), t2::Error);
}

}  // namespace
}  // namespace t2::cli::demo
