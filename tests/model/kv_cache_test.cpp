// KvCache keeps its positions through capacity growth (which changes the key row stride) and
// copy_from between caches of different capacities; bytes() reports the storage actually held.
#include <gtest/gtest.h>

#include <vector>

#include "model/kv_cache.h"
#include "tensor/ops.h"

namespace t2::model {
namespace {

std::vector<float> ramp(size_t n, float base) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = base + static_cast<float>(i);
  return v;
}

TEST(KvCache, GrowthAndCopyKeepPositions) {
  const int64_t n_layer = 2, nkv = 2, hd = 8, n = 5;
  KvCache a(n_layer, nkv, hd);
  a.reserve(n);
  std::vector<std::vector<float>> k, v;
  for (int64_t l = 0; l < n_layer; ++l) {
    k.push_back(ramp(static_cast<size_t>(n * nkv * hd), 1000.0f * static_cast<float>(l)));
    v.push_back(ramp(static_cast<size_t>(n * nkv * hd), -1000.0f * static_cast<float>(l + 1)));
    tensor::kv_store(a.layer(l), k[l].data(), v[l].data(), n, 0, nkv, hd);
  }
  a.set_n_tokens(n);
  const int64_t ld_before = a.layer(0).ld;
  a.reserve(100);
  EXPECT_GE(a.capacity(), 100);
  EXPECT_NE(a.layer(0).ld, ld_before);
  KvCache b(n_layer, nkv, hd);
  b.reserve(7);
  b.copy_from(a);
  EXPECT_EQ(b.n_tokens(), n);
  for (KvCache* c : {&a, &b})
    for (int64_t l = 0; l < n_layer; ++l) {
      std::vector<float> k2(k[l].size()), v2(v[l].size());
      tensor::kv_load(c->layer(l), k2.data(), v2.data(), n, nkv, hd);
      EXPECT_EQ(k2, k[l]) << "layer " << l;
      EXPECT_EQ(v2, v[l]) << "layer " << l;
    }
  EXPECT_EQ(a.bytes(), 2 * n_layer * tensor::kv_layer_elements(a.capacity(), nkv, hd) * sizeof(float));
  a.release();
  EXPECT_EQ(a.bytes(), 0u);
  EXPECT_EQ(a.capacity(), 0);
}

}  // namespace
}  // namespace t2::model
