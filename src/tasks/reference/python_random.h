// CPython's `random` module as far as the reference's ARC guess uses it: the Mersenne Twister
// seeded with an integer (random.seed(n)) and randint(a, b). Bit-exact with CPython 3.x, so that
// the seeded guess of the reference scorer is reproduced for any number of options.
#pragma once

#include <array>
#include <cstdint>

namespace t2::tasks::reference {

class PythonRandom {
 public:
  explicit PythonRandom(uint32_t seed);  // random.seed(seed) for 0 <= seed < 2**32
  int64_t randint(int64_t a, int64_t b);  // random.randint(a, b), a <= b
  uint32_t getrandbits(int k);            // random.getrandbits(k), 1 <= k <= 32

 private:
  uint32_t next();
  std::array<uint32_t, 624> mt_{};
  int index_ = 624;
};

}  // namespace t2::tasks::reference
