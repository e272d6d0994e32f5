// Splits and few-shot selection: sizes, disjointness, determinism, seed sensitivity.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "base/error.h"
#include "tasks/splits.h"

namespace t2::tasks {
namespace {

TEST(Splits, EvenOddHalves) {
  EXPECT_EQ(even_odd_split(5, Split::train), (std::vector<size_t>{0, 2, 4}));
  EXPECT_EQ(even_odd_split(5, Split::valid), (std::vector<size_t>{1, 3}));
  EXPECT_THROW(even_odd_split(5, Split::test), Error);
}

TEST(Splits, MbppIsDisjointAndCovering) {
  const auto tr = mbpp_split(974, Split::train);
  const auto va = mbpp_split(974, Split::valid);
  const auto te = mbpp_split(974, Split::test);
  EXPECT_EQ(tr.size(), 200u);
  EXPECT_EQ(va.size(), 100u);
  EXPECT_EQ(te.size(), 674u);
  std::set<size_t> all(tr.begin(), tr.end());
  all.insert(va.begin(), va.end());
  all.insert(te.begin(), te.end());
  EXPECT_EQ(all.size(), 974u);
  EXPECT_EQ(tr, mbpp_split(974, Split::train));      // reproducible
  EXPECT_NE(tr, mbpp_split(974, Split::train, 43));  // seed matters
  EXPECT_THROW(mbpp_split(299, Split::train), Error);
}

TEST(Splits, FewShotTakesFirstOfSeededShuffle) {
  const auto f = few_shot_split(1172, 10, few_shot_seed("arc"));
  EXPECT_EQ(f.shots.size(), 10u);
  EXPECT_EQ(f.rest.size(), 1162u);
  const auto p = seeded_permutation(1172, 38);
  EXPECT_TRUE(std::equal(f.shots.begin(), f.shots.end(), p.begin()));
  EXPECT_TRUE(std::is_sorted(f.rest.begin(), f.rest.end()));
  for (size_t s : f.shots) EXPECT_FALSE(std::binary_search(f.rest.begin(), f.rest.end(), s));
  EXPECT_NE(few_shot_split(164, 10, few_shot_seed("humaneval")).shots,
            few_shot_split(164, 10, 17).shots);
  EXPECT_EQ(few_shot_seed("math"), 27u);
  EXPECT_THROW(few_shot_seed("gsm8k"), Error);
  EXPECT_THROW(few_shot_split(10, 10, 1), Error);
}

TEST(Splits, PermutationIsAPermutation) {
  auto p = seeded_permutation(1000, 5);
  std::sort(p.begin(), p.end());
  for (size_t i = 0; i < p.size(); ++i) EXPECT_EQ(p[i], i);
}

}  // namespace
}  // namespace t2::tasks
