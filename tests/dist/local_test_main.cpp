// main() of the local build of the distributed suites: the world is the local communicator.
#include <gtest/gtest.h>

#include "test_world.h"

namespace t2::dist::test {
const Communicator& world() {
  static const Communicator w;
  return w;
}
}  // namespace t2::dist::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
