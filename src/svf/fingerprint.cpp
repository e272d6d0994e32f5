// Hash and checkpoint fingerprint.
#include "svf/fingerprint.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace t2::svf {

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

std::string fingerprint_tensors(std::vector<TensorDesc> tensors) {
  std::sort(tensors.begin(), tensors.end(),
            [](const TensorDesc& a, const TensorDesc& b) { return a.name < b.name; });
  constexpr size_t kBlock = 4096, kBlocks = 16;
  Hasher h;
  h.update(std::string_view("t2 checkpoint fingerprint v1"));
  for (const auto& t : tensors) {
    h.update(t.name);
    h.update(t.dtype);
    h.update_i64(static_cast<int64_t>(t.shape.size()));
    for (auto d : t.shape) h.update_i64(d);
    h.update_i64(static_cast<int64_t>(t.n_bytes));
    const auto* p = static_cast<const unsigned char*>(t.data);
    if (!p) continue;
    if (t.n_bytes <= kBlock * kBlocks) {
      h.update(p, t.n_bytes);
      continue;
    }
    const size_t stride = (t.n_bytes - kBlock) / (kBlocks - 1);
    for (size_t b = 0; b < kBlocks; ++b) h.update(p + b * stride, kBlock);
  }
  return "t2fp1-" + h.hex();
}

}  // namespace t2::svf
