// Fingerprints that tie SVD stores, experts and mixtures to the base checkpoint they were made
// from, and content checksums of experts. A fingerprint is "t2fp1-" + 16 hex digits of a 64-bit
// hash; it is cheap (metadata plus sampled bytes, never the whole checkpoint), so checking it on
// every load costs nothing. It tells checkpoints apart (any fine-tune changes the sampled values);
// it is not a cryptographic checksum of every byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace t2::svf {

// Streaming 64-bit hash (FNV-1a style, 8 bytes per step, with a final avalanche).
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

// One tensor of a checkpoint as the fingerprint sees it.
struct TensorDesc {
  std::string name;
  std::string dtype;  // "BF16", "F16", "F32", ...
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t n_bytes = 0;
};

// Fingerprint of a checkpoint: every tensor's name, dtype and shape (in name order, whatever the
// input order) plus up to 16 evenly spaced 4 KiB blocks of its bytes.
std::string fingerprint_tensors(std::vector<TensorDesc> tensors);

}  // namespace t2::svf
