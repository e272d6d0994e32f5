// MT19937 as in CPython's _randommodule.c (init_by_array seeding, genrand_uint32) and the
// rejection sampling of Random._randbelow_with_getrandbits.
#include "tasks/reference/python_random.h"

#include "base/error.h"

namespace t2::tasks::reference {

PythonRandom::PythonRandom(uint32_t seed) {
  constexpr int n = 624;
  mt_[0] = 19650218u;
  for (int i = 1; i < n; ++i) mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  // init_by_array with the one-word key [seed].
  int i = 1;
  for (int k = n; k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + seed;
    if (++i >= n) {
      mt_[0] = mt_[n - 1];
      i = 1;
    }
  }
  for (int k = n - 1; k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) - static_cast<uint32_t>(i);
    if (++i >= n) {
      mt_[0] = mt_[n - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000u;
}

uint32_t PythonRandom::next() {
  constexpr int n = 624, m = 397;
  if (index_ >= n) {
    for (int k = 0; k < n; ++k) {
      const uint32_t y = (mt_[k] & 0x80000000u) | (mt_[(k + 1) % n] & 0x7fffffffu);
      mt_[k] = mt_[(k + m) % n] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    index_ = 0;
  }
  uint32_t y = mt_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

uint32_t PythonRandom::getrandbits(int k) {
  T2_CHECK(k >= 1 && k <= 32, "getrandbits: expected 1..32 bits, found %d", k);
  return next() >> (32 - k);
}

int64_t PythonRandom::randint(int64_t a, int64_t b) {
  T2_CHECK(a <= b, "randint: empty range [%lld, %lld]", static_cast<long long>(a), static_cast<long long>(b));
  const uint64_t width = static_cast<uint64_t>(b - a) + 1;
  T2_CHECK(width <= 0xffffffffull, "randint: ranges wider than 2**32 are not supported");
  int k = 0;
  while ((width >> k) != 0) ++k;  // width.bit_length()
  uint64_t r = getrandbits(k);
  while (r >= width) r = getrandbits(k);
  return a + static_cast<int64_t>(r);
}

}  // namespace t2::tasks::reference
