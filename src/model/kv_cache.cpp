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

size_t KvCache::bytes() const {
  return 2 * k_.size() * static_cast<size_t>(capacity_ * kv_dim_) * sizeof(float);
}

}  // namespace t2::model
