// Streaming hash and file fingerprints; see hash.h.
#include "base/hash.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "base/error.h"

namespace t2 {

namespace {
constexpr uint64_t kPrime = 0x100000001b3ull;
uint64_t avalanche(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}
}  // namespace

void Hasher::update(const void* data, size_t n_bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  size_t i = 0;
  for (; i + 8 <= n_bytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h_ = (h_ ^ w) * kPrime;
    h_ ^= h_ >> 29;
  }
  for (; i < n_bytes; ++i) h_ = (h_ ^ p[i]) * kPrime;
  n_ += n_bytes;
}

void Hasher::update(std::string_view s) {
  update_i64(static_cast<int64_t>(s.size()));
  update(s.data(), s.size());
}

void Hasher::update_i64(int64_t v) { update(&v, sizeof v); }

uint64_t Hasher::digest() const { return avalanche(h_ ^ avalanche(n_)); }

std::string Hasher::hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(digest()));
  return buf;
}

std::string file_fingerprint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  T2_CHECK(in, "cannot read %s for its fingerprint", path.c_str());
  Hasher h;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const size_t got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    h.update(buf.data(), got);
  }
  T2_CHECK(in.eof(), "error reading %s for its fingerprint", path.c_str());
  return "t2fh1-" + h.hex();
}

}  // namespace t2
