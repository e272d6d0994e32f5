// Per-sequence key/value cache. One KvCache holds, for every layer, keys and values of one sequence
// in the tensor::KvLayer layout (keys transposed per KV head, values row-major per head; f32, or bf16
// to halve what a decode step reads — RunContext picks bf16 for bf16 models at the fast level), which
// is exactly what tensor::attention_cached reads, so a decode step attends over a sequence's own
// cache without gathering or repacking. Capacity grows by doubling (reserve() ahead of time to avoid
// any reallocation during a run). Not thread-safe; owned by a RunContext.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tensor/ops.h"  // tensor::KvLayer

namespace t2::model {

class KvCache {
 public:
  KvCache(int64_t n_layer, int64_t n_kv_head, int64_t head_dim, tensor::DType dtype = tensor::DType::f32)
      : n_kv_head_(n_kv_head), head_dim_(head_dim), dtype_(dtype), k_(n_layer), v_(n_layer) {}

  tensor::DType dtype() const { return dtype_; }

  int64_t n_tokens() const { return n_tokens_; }
  int64_t capacity() const { return capacity_; }
  // Makes room for n tokens in total (keeps contents). Cost: one copy of the cache when it grows.
  void reserve(int64_t n);
  // Forgets the contents (keeps the memory).
  void clear() { n_tokens_ = 0; }
  // Forgets the contents and frees the memory.
  void release();
  void set_n_tokens(int64_t n) { n_tokens_ = n; }

  // The storage of one layer (valid until the next reserve() that grows it).
  tensor::KvLayer layer(int64_t l);
  size_t bytes() const;
  // Makes this cache hold the same tokens as other (same model shape and dtype).
  void copy_from(const KvCache& other);

 private:
  int64_t n_kv_head_, head_dim_;
  tensor::DType dtype_;
  int64_t n_tokens_ = 0;
  int64_t capacity_ = 0;
  std::vector<std::vector<float>> k_, v_;  // raw storage of dtype_ elements (f32-aligned)
};

}  // namespace t2::model
