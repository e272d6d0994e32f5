// replace_all against Python's str.replace on the same inputs (non-empty patterns), and its one
// deliberate difference: an empty pattern matches nothing.
#include <gtest/gtest.h>

#include "base/text.h"

namespace t2 {
namespace {

TEST(ReplaceAll, AgreesWithPythonStrReplace) {
  // Expected values are those of Python 3's str.replace.
  EXPECT_EQ(replace_all("aaaa", "aa", "a"), "aa");          // left to right, no overlap
  EXPECT_EQ(replace_all("abab", "ab", "abab"), "abababab");  // inserted text is not rescanned
  EXPECT_EQ(replace_all("1,000,000", ",", ""), "1000000");
  EXPECT_EQ(replace_all("x", "xyz", "q"), "x");
  EXPECT_EQ(replace_all("", "a", "b"), "");
  EXPECT_EQ(replace_all("\\dfrac{1}{2}", "dfrac", "frac"), "\\frac{1}{2}");
}

TEST(ReplaceAll, EmptyPatternLeavesTheTextAlone) {
  // (Python would insert `to` between every character; no caller wants that.)
  EXPECT_EQ(replace_all("abc", "", "x"), "abc");
  EXPECT_EQ(replace_all("abc", "", ""), "abc");
}

}  // namespace
}  // namespace t2
