// Errors carry formatted context.
#include <gtest/gtest.h>

#include "base/error.h"

namespace t2 {
namespace {

TEST(Error, CheckFormatsMessage) {
  try {
    T2_CHECK(1 + 1 == 3, "expected %d, found %s", 3, "two");
    FAIL() << "T2_CHECK did not throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "expected 3, found two");
  }
}

TEST(Error, CheckPassesWhenTrue) { EXPECT_NO_THROW(T2_CHECK(true, "never")); }

TEST(Error, FormatHandlesLongStrings) {
  const std::string big(5000, 'x');
  EXPECT_EQ(format("%s!", big.c_str()).size(), 5001u);
}

}  // namespace
}  // namespace t2
