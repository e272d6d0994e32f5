// A streaming 64-bit hash for fingerprints and checksums (checkpoints, experts, data files): FNV-1a
// style, 8 bytes per step, with a final avalanche. Cheap and stable across platforms of the same
// endianness; it tells inputs apart, it is not a cryptographic checksum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace t2 {

class Hasher {
 public:
  void update(const void* data, size_t n_bytes);
  void update(std::string_view s);  // length-prefixed, so ("ab","c") ≠ ("a","bc")
  void update_i64(int64_t v);
  uint64_t digest() const;
  std::string hex() const;  // 16 lowercase hex digits

 private:
  uint64_t h_ = 0xcbf29ce484222325ull;
  uint64_t n_ = 0;
};

// Hash of a whole file's bytes ("t2fh1-" + 16 hex digits). Throws t2::Error naming the file when
// it cannot be read.
std::string file_fingerprint(const std::string& path);

}  // namespace t2
