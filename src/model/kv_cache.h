// Per-sequence key/value cache. One KvCache holds, for every layer, keys and values of one sequence
// laid out [n_ctx, n_head_kv, head_dim] f32 (contiguous per layer), which is exactly what
// tensor::attention reads, so a decode step attends over a sequence's own cache without gathering.
// Capacity grows by doubling (reserve() ahead of time to avoid any reallocation during a run).
// Not thread-safe; owned by a RunContext.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace t2::model {

class KvCache {
 public:
  KvCache(int64_t n_layer, int64_t kv_dim) : kv_dim_(kv_dim), k_(n_layer), v_(n_layer) {}

  int64_t n_tokens() const { return n_tokens_; }
  int64_t capacity() const { return capacity_; }
  // Makes room for n tokens in total (keeps contents). Cost: one copy of the cache when it grows.
  void reserve(int64_t n);
  // Forgets the contents (keeps the memory).
  void clear() { n_tokens_ = 0; }
  void set_n_tokens(int64_t n) { n_tokens_ = n; }

  // [capacity, n_head_kv, head_dim] of one layer.
  float* k(int64_t layer) { return k_[layer].data(); }
  float* v(int64_t layer) { return v_[layer].data(); }
  size_t bytes() const;
  // Makes this cache hold the same tokens as other (same model shape).
  void copy_from(const KvCache& other);

 private:
  int64_t kv_dim_;
  int64_t n_tokens_ = 0;
  int64_t capacity_ = 0;
  std::vector<std::vector<float>> k_, v_;
};

}  // namespace t2::model
