// KvCache growth and copies (see kv_cache.h). The layout depends on the capacity (key row stride),
// so growing re-stores the held positions into the new layout.
#include "model/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"

namespace t2::model {

namespace {

tensor::KvLayer view(std::vector<float>& k, std::vector<float>& v, int64_t capacity,
                     tensor::DType dtype) {
  return {k.data(), v.data(), capacity, tensor::kv_key_stride(capacity), dtype};
}

// Positions [0, n) of src into dst (any capacities, same head shape and dtype).
void copy_layer(const tensor::KvLayer& src, const tensor::KvLayer& dst, int64_t n, int64_t n_kv_head,
                int64_t head_dim) {
  const size_t es = tensor::dtype_size(src.dtype);
  const auto* sk = static_cast<const char*>(src.k);
  const auto* sv = static_cast<const char*>(src.v);
  auto* dk = static_cast<char*>(dst.k);
  auto* dv = static_cast<char*>(dst.v);
  for (int64_t h = 0; h < n_kv_head; ++h) {
    for (int64_t d = 0; d < head_dim; ++d)
      std::memcpy(dk + size_t((h * head_dim + d) * dst.ld) * es,
                  sk + size_t((h * head_dim + d) * src.ld) * es, size_t(n) * es);
    std::memcpy(dv + size_t(h * dst.capacity * head_dim) * es, sv + size_t(h * src.capacity * head_dim) * es,
                size_t(n * head_dim) * es);
  }
}

}  // namespace

tensor::KvLayer KvCache::layer(int64_t l) { return view(k_[l], v_[l], capacity_, dtype_); }

void KvCache::reserve(int64_t n) {
  if (n <= capacity_) return;
  const int64_t cap = std::max<int64_t>(n, std::min<int64_t>(2 * capacity_, n + 4096));
  const size_t bytes = static_cast<size_t>(tensor::kv_layer_elements(cap, n_kv_head_, head_dim_)) *
                       tensor::dtype_size(dtype_);
  for (size_t l = 0; l < k_.size(); ++l) {
    std::vector<float> k((bytes + 3) / 4), v((bytes + 3) / 4);
    if (n_tokens_ > 0)
      copy_layer(view(k_[l], v_[l], capacity_, dtype_), view(k, v, cap, dtype_), n_tokens_,
                 n_kv_head_, head_dim_);
    k_[l].swap(k);
    v_[l].swap(v);
  }
  capacity_ = cap;
}

void KvCache::copy_from(const KvCache& other) {
  T2_CHECK(other.dtype_ == dtype_, "KvCache::copy_from: caches hold %s and %s elements",
           tensor::dtype_name(other.dtype_), tensor::dtype_name(dtype_));
  reserve(other.n_tokens_);
  auto& src = const_cast<KvCache&>(other);  // views are mutable; copy_layer only reads src
  for (size_t l = 0; l < k_.size(); ++l)
    copy_layer(src.layer(static_cast<int64_t>(l)), layer(static_cast<int64_t>(l)), other.n_tokens_,
               n_kv_head_, head_dim_);
  n_tokens_ = other.n_tokens_;
}

void KvCache::release() {
  for (auto* side : {&k_, &v_}) {
    for (auto& layer : *side) std::vector<float>().swap(layer);
  }
  n_tokens_ = 0;
  capacity_ = 0;
}

size_t KvCache::bytes() const {
  size_t n = 0;
  for (size_t l = 0; l < k_.size(); ++l) n += k_[l].size() + v_[l].size();
  return n * sizeof(float);
}

}  // namespace t2::model
