// The KV cache layout (tensor::KvLayer): storing and loading positions round-trips exactly,
// attention_cached over a cache agrees with the reference attention on the same rows and is
// bit-identical to the fast attention() on row-major keys/values, whatever the capacity; bad
// layouts give clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "tensor/dtype.h"
#include "tensor/ops.h"
#include "test_util.h"

namespace t2::tensor {
namespace {

using testing::LevelGuard;
using testing::max_abs_diff;
using testing::random_floats;

// One f32 cache layer with its storage.
struct Layer {
  Layer(int64_t capacity, int64_t nkv, int64_t hd)
      : k(size_t(kv_layer_elements(capacity, nkv, hd)), NAN), v(k.size(), NAN) {
    view = {k.data(), v.data(), capacity, kv_key_stride(capacity), DType::f32};
  }
  std::vector<float> k, v;
  KvLayer view;
};

// One bf16 cache layer (garbage past the stored positions: all-ones bits, a NaN).
struct Bf16Layer {
  Bf16Layer(int64_t capacity, int64_t nkv, int64_t hd)
      : k(size_t(kv_layer_elements(capacity, nkv, hd)), 0xffff), v(k.size(), 0xffff) {
    view = {k.data(), v.data(), capacity, kv_key_stride(capacity), DType::bf16};
  }
  std::vector<uint16_t> k, v;
  KvLayer view;
};

std::vector<float> rounded_bf16(const std::vector<float>& x) {
  std::vector<float> r(x.size());
  for (size_t i = 0; i < x.size(); ++i) r[i] = bf16_to_f32(f32_to_bf16(x[i]));
  return r;
}

TEST(KvLayout, StoreThenLoadRoundTrips) {
  const int64_t nkv = 3, hd = 10, cap = 37;
  Layer L(cap, nkv, hd);
  auto k = random_floats(cap * nkv * hd, 1), v = random_floats(cap * nkv * hd, 2);
  // A prefill chunk, then single positions, as the model stores them.
  kv_store(L.view, k.data(), v.data(), 20, 0, nkv, hd);
  for (int64_t p = 20; p < cap; ++p)
    kv_store(L.view, k.data() + p * nkv * hd, v.data() + p * nkv * hd, 1, p, nkv, hd);
  std::vector<float> k2(k.size()), v2(v.size());
  kv_load(L.view, k2.data(), v2.data(), cap, nkv, hd);
  EXPECT_EQ(k, k2);
  EXPECT_EQ(v, v2);
  // Keys are transposed per head: position 5, head 2, dimension 7.
  EXPECT_EQ(L.k[size_t((2 * hd + 7) * L.view.ld + 5)], k[size_t((5 * nkv + 2) * hd + 7)]);
  EXPECT_NE(L.view.ld % 1024, 0);
  EXPECT_GE(L.view.ld, cap);
}

// One attention case: n_q queries at positions p0.., a cache of capacity cap, and random
// queries, keys and values for the n_ctx = p0 + n_q positions.
struct Case {
  int64_t n_q, p0, cap, nh, nkv, hd;
};
struct CaseInputs {
  CaseInputs(const Case& c, uint64_t seed)
      : n_ctx(c.p0 + c.n_q),
        q(random_floats(c.n_q * c.nh * c.hd, seed, 2.0f)),
        k(random_floats(n_ctx * c.nkv * c.hd, seed + 1, 2.0f)),
        v(random_floats(n_ctx * c.nkv * c.hd, seed + 2)),
        scale(1.0f / std::sqrt(float(c.hd))) {}
  int64_t n_ctx;
  std::vector<float> q, k, v;
  float scale;
};

TEST(KvLayout, AttentionCachedMatchesReferenceAndRowMajorFastPath) {
  uint64_t seed = 900;
  for (Case c : {Case{1, 0, 1, 1, 1, 2}, Case{1, 40, 64, 32, 8, 64}, Case{1, 511, 544, 32, 8, 64},
                 Case{3, 0, 3, 2, 1, 6}, Case{17, 0, 40, 8, 2, 64}, Case{33, 10, 43, 4, 2, 128},
                 Case{5, 123, 200, 6, 3, 80}, Case{2, 3, 9, 2, 1, 300}}) {
    seed += 3;
    const CaseInputs in(c, seed);
    const int64_t n_ctx = in.n_ctx;
    const auto &q = in.q, &k = in.k, &v = in.v;
    const float scale = in.scale;
    Layer L(c.cap, c.nkv, c.hd);
    kv_store(L.view, k.data(), v.data(), n_ctx, 0, c.nkv, c.hd);
    std::vector<float> ref(q.size()), cached(q.size()), rowmajor(q.size());
    {
      LevelGuard g(KernelLevel::reference);
      attention(q.data(), k.data(), v.data(), ref.data(), c.n_q, c.p0, n_ctx, c.nh, c.nkv, c.hd, scale);
      std::vector<float> ref_cached(q.size());
      attention_cached(q.data(), L.view, ref_cached.data(), c.n_q, c.p0, c.nh, c.nkv, c.hd, scale);
      EXPECT_EQ(ref, ref_cached);
    }
    attention_cached(q.data(), L.view, cached.data(), c.n_q, c.p0, c.nh, c.nkv, c.hd, scale);
    attention(q.data(), k.data(), v.data(), rowmajor.data(), c.n_q, c.p0, n_ctx, c.nh, c.nkv, c.hd, scale);
    EXPECT_LT(max_abs_diff(cached.data(), ref.data(), q.size()), 2e-5)
        << "n_q=" << c.n_q << " p0=" << c.p0 << " cap=" << c.cap << " hd=" << c.hd;
    EXPECT_EQ(cached, rowmajor) << "n_q=" << c.n_q << " p0=" << c.p0 << " cap=" << c.cap;
  }
}

// A bf16 layer stores keys and values rounded to bf16 (round trip = bf16 rounding of the rows);
// attention over it matches the reference attention on the rounded rows.
TEST(KvLayout, Bf16LayerRoundsAndAttends) {
  uint64_t seed = 1900;
  for (Case c : {Case{1, 0, 1, 1, 1, 2}, Case{1, 511, 544, 32, 8, 64}, Case{17, 0, 40, 8, 2, 64},
                 Case{33, 10, 43, 4, 2, 128}, Case{5, 123, 200, 6, 3, 80}, Case{2, 3, 9, 2, 1, 300}}) {
    seed += 3;
    const CaseInputs in(c, seed);
    const int64_t n_ctx = in.n_ctx;
    const auto &q = in.q, &k = in.k, &v = in.v;
    const float scale = in.scale;
    Bf16Layer L(c.cap, c.nkv, c.hd);
    kv_store(L.view, k.data(), v.data(), n_ctx, 0, c.nkv, c.hd);
    std::vector<float> k2(k.size()), v2(v.size());
    kv_load(L.view, k2.data(), v2.data(), n_ctx, c.nkv, c.hd);
    const auto kr = rounded_bf16(k), vr = rounded_bf16(v);
    EXPECT_EQ(k2, kr);
    EXPECT_EQ(v2, vr);
    std::vector<float> ref(q.size()), fast(q.size());
    {
      LevelGuard g(KernelLevel::reference);
      attention(q.data(), kr.data(), vr.data(), ref.data(), c.n_q, c.p0, n_ctx, c.nh, c.nkv, c.hd, scale);
    }
    attention_cached(q.data(), L.view, fast.data(), c.n_q, c.p0, c.nh, c.nkv, c.hd, scale);
    EXPECT_LT(max_abs_diff(fast.data(), ref.data(), q.size()), 2e-5)
        << "n_q=" << c.n_q << " p0=" << c.p0 << " cap=" << c.cap << " hd=" << c.hd;
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(KvLayout, ClearErrors) {
  Layer L(8, 2, 4);
  std::vector<float> q(64), out(64), rows(64);
  EXPECT_NE(error_of([&] { attention_cached(q.data(), L.view, out.data(), 2, 7, 2, 2, 4, 1.0f); })
                .find("positions up to 9 requested but the cache layer holds 8"),
            std::string::npos);
  KvLayer bad = L.view;
  bad.ld = 8;
  EXPECT_NE(error_of([&] { kv_store(bad, rows.data(), rows.data(), 1, 0, 2, 4); })
                .find("ld = 8, expected kv_key_stride(8) = 32"),
            std::string::npos);
  EXPECT_NE(error_of([&] { attention_cached(q.data(), L.view, out.data(), 1, 0, 3, 2, 4, 1.0f); })
                .find("not a multiple"),
            std::string::npos);
  EXPECT_NE(error_of([&] { attention_cached(q.data(), L.view, L.k.data(), 1, 0, 2, 2, 4, 1.0f); })
                .find("must not overlap"),
            std::string::npos);
  KvLayer f16 = L.view;
  f16.dtype = DType::f16;
  EXPECT_NE(error_of([&] { kv_store(f16, rows.data(), rows.data(), 1, 0, 2, 4); })
                .find("dtype f16 is not supported"),
            std::string::npos);
}

}  // namespace
}  // namespace t2::tensor
