// MATH equivalence: hand-written cases, and a cross-check against Hugging Face math-verify on the
// fixture written by math_verify_crosscheck.py (MATH-500 gold answers, equivalent rewrites,
// perturbed answers and an edge corpus). Every disagreement must be one of the documented ones.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "io/file.h"
#include "tasks/math_equiv.h"

namespace t2::tasks {
namespace {

TEST(MathEquiv, NormalisationRules) {
  EXPECT_TRUE(math_answers_equivalent("\\dfrac{1}{2}", "\\frac{1}{2}"));
  EXPECT_TRUE(math_answers_equivalent("\\frac12", "\\frac{1}{2}"));
  EXPECT_TRUE(math_answers_equivalent("0.5", "\\frac{1}{2}"));
  EXPECT_TRUE(math_answers_equivalent("1/2", "\\frac{1}{2}"));
  EXPECT_TRUE(math_answers_equivalent("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"));
  EXPECT_TRUE(math_answers_equivalent("90^\\circ", "90"));
  EXPECT_TRUE(math_answers_equivalent("5\\text{ cm}", "5"));
  EXPECT_TRUE(math_answers_equivalent("10\\%", "10"));
  EXPECT_TRUE(math_answers_equivalent("6.0", "6"));
  EXPECT_TRUE(math_answers_equivalent("1,000,000", "1000000"));
  EXPECT_TRUE(math_answers_equivalent("x = 3", "3"));
  EXPECT_TRUE(math_answers_equivalent("$\\$18.90$.", "18.9"));
  EXPECT_TRUE(math_answers_equivalent("\\text{Evelyn}", "\\text{Evelyn}"));
  EXPECT_TRUE(math_answers_equivalent("\\text{(C)}", "(C)"));
}

TEST(MathEquiv, NumericTolerance) {
  EXPECT_TRUE(math_answers_equivalent("2\\sqrt{3}", "\\sqrt{12}"));
  EXPECT_TRUE(math_answers_equivalent("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}"));
  EXPECT_TRUE(math_answers_equivalent("0.33333", "\\frac{1}{3}"));   // 1e-5 relative
  EXPECT_FALSE(math_answers_equivalent("0.333", "\\frac{1}{3}"));    // 1e-3 relative
  EXPECT_FALSE(math_answers_equivalent("13536", "13535"));          // integers are exact
  EXPECT_FALSE(math_answers_equivalent("13535+1", "13535"));
  EXPECT_TRUE(math_answers_equivalent("2^{10}", "1024"));
  EXPECT_FALSE(math_answers_equivalent("-5", "5"));
  EXPECT_FALSE(math_answers_equivalent("", "5"));
  ASSERT_TRUE(evaluate_math_number("\\frac{3}{4}+\\sqrt[3]{8}\\pi").has_value());
  EXPECT_NEAR(*evaluate_math_number("\\frac{3}{4}+\\sqrt[3]{8}\\pi"), 0.75 + 2 * M_PI, 1e-12);
  EXPECT_FALSE(evaluate_math_number("x+1").has_value());
}

TEST(MathEquiv, TuplesAndIntervals) {
  EXPECT_TRUE(math_answers_equivalent("(1, 0.5)", "(1,\\frac{1}{2})"));
  EXPECT_FALSE(math_answers_equivalent("(1,2)", "[1,2]"));
  EXPECT_FALSE(math_answers_equivalent("(1,2)", "(1,2,3)"));
  EXPECT_TRUE(math_answers_equivalent("[-2, 5)", "[-2,5)"));
}

// Disagreements with math-verify 0.9.0 that we keep on purpose (docs/tasks.md).
const std::set<std::pair<std::string, std::string>> kKnownDisagreements = {
    {"3.14159", "\\pi"},            // ours: within 1e-4 relative; math-verify: rounding mismatch
    {"0.3333", "\\frac{1}{3}"},     // ditto (1e-4 relative tolerance of PROTOCOL §3)
    {"x+1", "1+x"},                // symbolic equality: math-verify only (ours is optional, off)
    {"2x", "x2"},                  // ditto
    {"\\{1,2\\}", "\\{2,1\\}"},  // set equality: math-verify only
    {"3,5", "5,3"},                // unordered lists: math-verify treats as sets, ours as tuples
};

TEST(MathEquiv, CrossCheckWithMathVerify) {
  const auto fixture = nlohmann::json::parse(io::read_file("tests/tasks/fixtures/math_verify_pairs.json"));
  size_t agree = 0, total = 0;
  std::set<std::pair<std::string, std::string>> disagreements;
  for (const auto& p : fixture.at("pairs")) {
    const std::string pred = p.at("pred"), gold = p.at("gold");
    const bool ours = math_answers_equivalent(pred, gold);
    ++total;
    if (ours == p.at("math_verify").get<bool>()) {
      ++agree;
    } else {
      disagreements.insert({pred, gold});
      EXPECT_TRUE(kKnownDisagreements.count({pred, gold}))
          << "new disagreement: pred '" << pred << "' gold '" << gold << "': t2 " << ours
          << ", math-verify " << !ours;
    }
  }
  for (const auto& k : kKnownDisagreements)
    EXPECT_TRUE(disagreements.count(k)) << "documented disagreement no longer happens: " << k.first
                                        << " vs " << k.second;
  std::printf("agreement with math-verify: %zu / %zu pairs\n", agree, total);
  EXPECT_GT(total, 1500u);
}

}  // namespace
}  // namespace t2::tasks
