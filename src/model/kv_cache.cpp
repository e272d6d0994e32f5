// KvCache growth (see kv_cache.h).
#include "model/kv_cache.h"

#include <algorithm>

namespace t2::model {

void KvCache::reserve(int64_t n) {
  if (n <= capacity_) return;
  const int64_t cap = std::max<int64_t>(n, std::min<int64_t>(2 * capacity_, n + 4096));
  for (auto* side : {&k_, &v_}) {
    for (auto& layer : *side) layer.resize(static_cast<size_t>(cap * kv_dim_));
  }
  capacity_ = cap;
}

void KvCache::copy_from(const KvCache& other) {
  reserve(other.n_tokens_);
  const size_t n = static_cast<size_t>(other.n_tokens_ * kv_dim_);
  for (size_t l = 0; l < k_.size(); ++l) {
    std::copy(other.k_[l].begin(), other.k_[l].begin() + n, k_[l].begin());
    std::copy(other.v_[l].begin(), other.v_[l].begin() + n, v_[l].begin());
  }
  n_tokens_ = other.n_tokens_;
}

size_t KvCache::bytes() const {
  return 2 * k_.size() * static_cast<size_t>(capacity_ * kv_dim_) * sizeof(float);
}

}  // namespace t2::model
