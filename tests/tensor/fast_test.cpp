// Fast kernels against the reference kernels over grids of shapes: odd sizes (n = 1, 3, 17; k not a
// multiple of 32; m = 1), sizes that take the AMX / GEMM / threaded paths, accumulation and
// aliasing. Every test runs once per CPU instruction-set level (generic, avx2, avx512, avx512bf16,
// amx: cpu/isa.h), forced with set_cpu_isa(); levels the machine lacks are skipped, so any x86 CI
// machine covers at least the generic and (nearly always) the AVX2 kernels besides its best.
// Errors are normalised by Σ|x·w| (linear) or by the magnitudes involved.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "tensor/ops.h"
#include "test_util.h"

namespace t2::tensor {
namespace {

using testing::IsaGuard;
using testing::LevelGuard;
using testing::max_abs_diff;
using testing::random_floats;
using testing::to_dtype;

std::vector<float> run_linear(KernelLevel level, const std::vector<float>& x, const void* w,
                              DType dt, std::vector<float> y, int64_t n, int64_t m, int64_t k,
                              bool acc) {
  LevelGuard g(level);
  linear(x.data(), w, dt, y.data(), n, m, k, acc);
  return y;
}

// Checks fast linear against the reference for one shape. For bf16 weights the fast kernel
// multiplies bf16(x): it must match the reference on bf16-rounded x to f32 accuracy, and the
// reference on the original x within the bf16 rounding bound 2^-8 · Σ|x·w| (half an ulp of an 8-bit significand).
void check_linear(DType dt, int64_t n, int64_t m, int64_t k, bool acc, uint64_t seed) {
  auto x = random_floats(n * k, seed);
  auto wf = random_floats(m * k, seed + 1, 0.5f);
  auto w = to_dtype(wf, dt);
  std::vector<float> wq(m * k);
  convert_to_f32(w.data(), dt, wq.data(), wq.size());
  auto y0 = random_floats(n * m, seed + 2);
  std::vector<float> xr = x;
  if (dt == DType::bf16)
    for (float& v : xr) v = bf16_to_f32(f32_to_bf16(v));
  auto fast = run_linear(KernelLevel::fast, x, w.data(), dt, y0, n, m, k, acc);
  auto exact = run_linear(KernelLevel::reference, xr, w.data(), dt, y0, n, m, k, acc);
  auto orig = run_linear(KernelLevel::reference, x, w.data(), dt, y0, n, m, k, acc);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < m; ++o) {
      double mag = 0.0;
      for (int64_t j = 0; j < k; ++j) mag += std::fabs(double(x[i * k + j]) * wq[o * k + j]);
      if (acc) mag += std::fabs(y0[i * m + o]);
      size_t at = size_t(i * m + o);
      ASSERT_NEAR(fast[at], exact[at], 1e-5 * mag + 1e-30)
          << dtype_name(dt) << " n=" << n << " m=" << m << " k=" << k << " acc=" << acc << " at (" << i
          << ", " << o << ")";
      if (dt == DType::bf16) {
        ASSERT_NEAR(fast[at], orig[at], std::ldexp(1.0, -8) * mag + 1e-5 * mag + 1e-30);
      }
    }
}

// One instantiation per level; SetUp forces the level (or skips when the CPU lacks it).
class FastKernels : public ::testing::TestWithParam<CpuIsa> {
 protected:
  void SetUp() override {
    if (GetParam() > cpu_isa_supported())
      GTEST_SKIP() << "this CPU (" << cpu_features().model << ") lacks the '"
                   << cpu_isa_name(GetParam()) << "' level: " << cpu_isa_missing(GetParam(), cpu_features());
    guard_.emplace(GetParam());
  }
  void TearDown() override { guard_.reset(); }

 private:
  std::optional<IsaGuard> guard_;
};

TEST_P(FastKernels, LinearMatchesReferenceOverShapeGrid) {
  uint64_t seed = 100;
  for (DType dt : {DType::bf16, DType::f32, DType::f16})
    for (int64_t n : {1, 2, 3, 6, 7, 16, 17, 33, 70})
      for (int64_t m : {1, 16, 17, 48, 100})
        for (int64_t k : {1, 31, 32, 33, 96, 160}) {
          ++seed;
          check_linear(dt, n, m, k, seed % 2 == 0, seed);
          if (HasFatalFailure()) return;
        }
}

TEST_P(FastKernels, LinearLargeShapesUseThreadsAndTiles) {
  // Big enough for the threaded split, the AMX 2×2 tile blocks with ragged edges, and sgemm.
  check_linear(DType::bf16, 40, 300, 256, false, 1);
  check_linear(DType::bf16, 1, 1000, 512, true, 2);
  check_linear(DType::bf16, 67, 129, 128, true, 3);
  check_linear(DType::f32, 80, 200, 96, false, 4);
  check_linear(DType::f32, 5, 700, 100, true, 5);
  check_linear(DType::f16, 20, 300, 77, false, 6);
  // k beyond one 256-wide GEMM panel, with a ragged last panel.
  check_linear(DType::f32, 9, 70, 600, true, 7);
  check_linear(DType::f16, 13, 33, 300, false, 8);
  check_linear(DType::bf16, 3, 70, 600, true, 9);
  // AMX with long k, an odd number of activation tiles, and a 16-row weight remainder.
  check_linear(DType::bf16, 50, 160, 544, true, 10);
  check_linear(DType::bf16, 40, 208, 320, false, 11);
  // The dot kernel's k slices (several activation tiles, k > 2048) with a ragged last slice.
  check_linear(DType::bf16, 16, 40, 3053, true, 12);
  check_linear(DType::f16, 7, 20, 4100, false, 13);
}

TEST_P(FastKernels, LinearZeroInnerDimension) {
  std::vector<float> y = {1, 2, 3, 4}, x(1);
  std::vector<float> w(1);
  linear(x.data(), w.data(), DType::bf16, y.data(), 2, 2, 0, true);
  EXPECT_EQ(y, (std::vector<float>{1, 2, 3, 4}));
  linear(x.data(), w.data(), DType::bf16, y.data(), 2, 2, 0, false);
  EXPECT_EQ(y, (std::vector<float>{0, 0, 0, 0}));
}

// The same data at addresses off the 64-byte grid (x, y by one float, bf16 weights by one element)
// gives bit-identical results: no kernel assumes aligned buffers.
TEST_P(FastKernels, LinearMisalignedBuffersGiveIdenticalResults) {
  for (DType dt : {DType::bf16, DType::f32, DType::f16})
    for (int64_t n : {1, 5, 40}) {
      const int64_t m = 70, k = 96;
      auto x = random_floats(n * k, 61);
      auto w = to_dtype(random_floats(m * k, 62), dt);
      std::vector<float> y(n * m);
      linear(x.data(), w.data(), dt, y.data(), n, m, k);
      std::vector<float> x2(x.size() + 1), y2(y.size() + 1);
      std::vector<uint8_t> w2(w.size() + dtype_size(dt));
      std::copy(x.begin(), x.end(), x2.begin() + 1);
      std::copy(w.begin(), w.end(), w2.begin() + long(dtype_size(dt)));
      linear(x2.data() + 1, w2.data() + dtype_size(dt), dt, y2.data() + 1, n, m, k);
      EXPECT_TRUE(std::equal(y.begin(), y.end(), y2.begin() + 1)) << dtype_name(dt) << " n=" << n;
    }
}

// Every output element is computed by one thread in a fixed order, so results do not depend on
// the number of threads (reruns on differently sized machines reproduce).
TEST_P(FastKernels, ResultsDoNotDependOnThreadCount) {
  const int64_t n = 40, m = 300, k = 256, nh = 8, nkv = 2, hd = 64, n_ctx = 60;
  auto x = random_floats(n * k, 71);
  auto w = to_dtype(random_floats(m * k, 72), DType::bf16);
  auto wf = random_floats(m * k, 73);
  auto q = random_floats(n * nh * hd, 74), kk = random_floats(n_ctx * nkv * hd, 75);
  auto v = random_floats(n_ctx * nkv * hd, 76);
  auto run = [&](int threads) {
    int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    std::vector<float> y1(n * m), y2(n * m), a(q.size());
    linear(x.data(), w.data(), DType::bf16, y1.data(), n, m, k);
    linear(x.data(), wf.data(), DType::f32, y2.data(), n, m, k);
    attention(q.data(), kk.data(), v.data(), a.data(), n, n_ctx - n, n_ctx, nh, nkv, hd, 0.125f);
    omp_set_num_threads(saved);
    y1.insert(y1.end(), y2.begin(), y2.end());
    y1.insert(y1.end(), a.begin(), a.end());
    return y1;
  };
  EXPECT_EQ(run(1), run(2));
  EXPECT_EQ(run(1), run(3));
}

TEST_P(FastKernels, AttentionMatchesReference) {
  struct Case { int64_t n_q, p0, n_ctx, nh, nkv, hd; };
  uint64_t seed = 500;
  for (Case c : {Case{1, 0, 1, 1, 1, 2}, Case{1, 40, 41, 32, 8, 64}, Case{1, 7, 100, 4, 4, 16},
                 Case{3, 0, 3, 2, 1, 6}, Case{17, 0, 17, 8, 2, 64}, Case{33, 10, 43, 4, 2, 128},
                 Case{128, 0, 128, 4, 1, 64}, Case{5, 123, 130, 6, 3, 80}, Case{9, 0, 9, 2, 2, 40},
                 Case{2, 3, 5, 4, 2, 256}, Case{3, 1, 4, 2, 1, 300}}) {
    ++seed;
    auto q = random_floats(c.n_q * c.nh * c.hd, seed, 2.0f);
    auto k = random_floats(c.n_ctx * c.nkv * c.hd, seed + 1, 2.0f);
    auto v = random_floats(c.n_ctx * c.nkv * c.hd, seed + 2);
    std::vector<float> fast(q.size()), ref(q.size());
    float scale = 1.0f / std::sqrt(float(c.hd));
    {
      LevelGuard g(KernelLevel::reference);
      attention(q.data(), k.data(), v.data(), ref.data(), c.n_q, c.p0, c.n_ctx, c.nh, c.nkv, c.hd, scale);
    }
    attention(q.data(), k.data(), v.data(), fast.data(), c.n_q, c.p0, c.n_ctx, c.nh, c.nkv, c.hd, scale);
    EXPECT_LT(max_abs_diff(fast.data(), ref.data(), q.size()), 2e-5)
        << "n_q=" << c.n_q << " p0=" << c.p0 << " n_ctx=" << c.n_ctx << " hd=" << c.hd;
  }
}

// A bf16 cache layer at this level against the reference attention of the bf16-rounded rows,
// over head sizes that take every value-pass shape (1..4 vectors in registers for several rows,
// one row at a time, several column blocks for 256, the reference beyond 256).
TEST_P(FastKernels, AttentionCachedBf16MatchesReference) {
  uint64_t seed = 900;
  for (int64_t hd : {4, 24, 40, 64, 96, 128, 256, 264})
    for (int64_t n_q : {1, 7}) {
      const int64_t nh = 4, nkv = 2, p0 = 11, n_ctx = p0 + n_q, cap = n_ctx + 5;
      ++seed;
      auto q = random_floats(n_q * nh * hd, seed, 2.0f);
      auto k = random_floats(n_ctx * nkv * hd, seed + 1, 2.0f), v = random_floats(k.size(), seed + 2);
      std::vector<uint16_t> kc(size_t(kv_layer_elements(cap, nkv, hd))), vc(kc.size());
      const KvLayer layer{kc.data(), vc.data(), cap, kv_key_stride(cap), DType::bf16};
      kv_store(layer, k.data(), v.data(), n_ctx, 0, nkv, hd);
      for (auto* buf : {&k, &v})
        for (float& x : *buf) x = bf16_to_f32(f32_to_bf16(x));
      std::vector<float> fast(q.size()), ref(q.size());
      const float scale = 1.0f / std::sqrt(float(hd));
      {
        LevelGuard g(KernelLevel::reference);
        attention(q.data(), k.data(), v.data(), ref.data(), n_q, p0, n_ctx, nh, nkv, hd, scale);
      }
      attention_cached(q.data(), layer, fast.data(), n_q, p0, nh, nkv, hd, scale);
      EXPECT_LT(max_abs_diff(fast.data(), ref.data(), q.size()), 2e-5) << "hd=" << hd << " n_q=" << n_q;
    }
}

// Both cache dtypes at this level against the reference on the cache's own (rounded) rows, over
// GQA ratios 1..16 (more heads per KV head than a task's 8 rows), contexts around the 16- and
// 32-key steps of the score pass, head sizes with 1..9 vectors (partial column blocks of the value
// pass) and prefill blocks whose rows see different numbers of keys.
TEST_P(FastKernels, AttentionCachedGqaAndContextGrid) {
  struct Case { int64_t n_q, p0, nh, nkv, hd; };
  uint64_t seed = 1300;
  for (DType dt : {DType::f32, DType::bf16})
    for (Case c : {Case{1, 30, 8, 8, 64}, Case{1, 32, 24, 8, 72}, Case{3, 30, 16, 1, 40},
                   Case{2, 63, 6, 2, 136}, Case{5, 90, 32, 2, 8}, Case{33, 0, 12, 4, 24},
                   Case{70, 230, 4, 4, 64}, Case{1, 299, 16, 1, 130}}) {
      ++seed;
      const int64_t n_ctx = c.p0 + c.n_q, cap = n_ctx + 3;
      auto q = random_floats(c.n_q * c.nh * c.hd, seed, 2.0f);
      auto k = random_floats(n_ctx * c.nkv * c.hd, seed + 1, 2.0f), v = random_floats(k.size(), seed + 2);
      const int64_t elems = kv_layer_elements(cap, c.nkv, c.hd);
      std::vector<float> kc(static_cast<size_t>(elems)), vc(kc.size());  // also holds bf16 halves
      const KvLayer layer{kc.data(), vc.data(), cap, kv_key_stride(cap), dt};
      kv_store(layer, k.data(), v.data(), n_ctx, 0, c.nkv, c.hd);
      if (dt == DType::bf16)
        for (auto* buf : {&k, &v})
          for (float& x : *buf) x = bf16_to_f32(f32_to_bf16(x));
      std::vector<float> fast(q.size()), ref(q.size());
      const float scale = 1.0f / std::sqrt(float(c.hd));
      {
        LevelGuard g(KernelLevel::reference);
        attention(q.data(), k.data(), v.data(), ref.data(), c.n_q, c.p0, n_ctx, c.nh, c.nkv, c.hd, scale);
      }
      attention_cached(q.data(), layer, fast.data(), c.n_q, c.p0, c.nh, c.nkv, c.hd, scale);
      EXPECT_LT(max_abs_diff(fast.data(), ref.data(), q.size()), 2e-5)
          << dtype_name(dt) << " n_q=" << c.n_q << " p0=" << c.p0 << " heads " << c.nh << "/" << c.nkv
          << " hd=" << c.hd;
    }
}

// Forcing a level changes the kernel linear() runs: each level's own kernel, never a higher one.
TEST_P(FastKernels, LinearKernelFollowsTheLevel) {
  const CpuIsa isa = GetParam();
  auto name = [](DType dt, int64_t n) { return std::string(linear_kernel_name(dt, n, 64, 64)); };
  const std::string vec = isa >= CpuIsa::avx512 ? "avx512" : "avx2";
  switch (isa) {
    case CpuIsa::generic:
      EXPECT_EQ(name(DType::bf16, 1), "generic dot");
      EXPECT_EQ(name(DType::f32, 64), "generic dot");
      break;
    case CpuIsa::avx2:
      EXPECT_EQ(name(DType::bf16, 1), "avx2 dot");
      EXPECT_EQ(name(DType::bf16, 31), "avx2 dot");
      EXPECT_EQ(name(DType::bf16, 32), "avx2 gemm");
      break;
    case CpuIsa::avx512:
      EXPECT_EQ(name(DType::bf16, 1), "avx512 dot");
      EXPECT_EQ(name(DType::bf16, 512), "avx512 dot");
      break;
    case CpuIsa::avx512bf16:
      EXPECT_EQ(name(DType::bf16, 1), "avx512bf16 dot");
      EXPECT_EQ(name(DType::bf16, 64), "avx512bf16 dot");
      break;
    case CpuIsa::amx:
      EXPECT_EQ(name(DType::bf16, 1), "avx512bf16 dot");
      EXPECT_EQ(name(DType::bf16, 2), "amx tiles");
      EXPECT_EQ(std::string(linear_kernel_name(DType::bf16, 64, 64, 48)), "avx512bf16 dot");  // k % 32
      break;
  }
  if (isa >= CpuIsa::avx2) {
    EXPECT_EQ(name(DType::f32, 7), vec + " dot");
    EXPECT_EQ(name(DType::f16, 64), vec + " gemm");
  }
  LevelGuard g(KernelLevel::reference);
  EXPECT_EQ(name(DType::bf16, 64), "reference");
}

TEST_P(FastKernels, ElementwiseMatchesReference) {
  for (int64_t n : {1, 3, 17, 300})
    for (int64_t d : {1, 7, 64, 2049}) {
      auto x = random_floats(n * d, uint64_t(n * 7 + d), 3.0f);
      auto w = random_floats(d, uint64_t(d));
      auto b = random_floats(n * d, uint64_t(n + d * 5));
      std::vector<float> f(x.size()), r(x.size());
      auto both = [&](auto&& op) {
        {
          LevelGuard g(KernelLevel::reference);
          op(r.data());
        }
        op(f.data());
      };
      both([&](float* y) { rms_norm(x.data(), w.data(), y, n, d, 1e-5f); });
      EXPECT_LT(max_abs_diff(f.data(), r.data(), f.size()), 2e-5) << "rms_norm " << n << "x" << d;
      both([&](float* y) { log_softmax(x.data(), y, n, d); });
      EXPECT_LT(max_abs_diff(f.data(), r.data(), f.size()), 2e-5) << "log_softmax " << n << "x" << d;
      both([&](float* y) { silu_mul(x.data(), b.data(), y, n * d); });
      EXPECT_LT(max_abs_diff(f.data(), r.data(), f.size()), 1e-5) << "silu_mul " << n << "x" << d;
      both([&](float* y) { add(x.data(), b.data(), y, n * d); });
      EXPECT_EQ(max_abs_diff(f.data(), r.data(), f.size()), 0.0) << "add " << n << "x" << d;
      // In-place forms agree with out-of-place ones.
      auto xa = x;
      rms_norm(xa.data(), w.data(), xa.data(), n, d, 1e-5f);
      std::vector<float> yo(x.size());
      rms_norm(x.data(), w.data(), yo.data(), n, d, 1e-5f);
      EXPECT_EQ(xa, yo);
    }
}

// The memory-read probe sums 64-bit words exactly (mod 2^64): sizes below one vector step, odd
// word counts, several 1 MiB chunks, an unaligned start.
TEST_P(FastKernels, ReadSumIsTheSumOfWords) {
  std::mt19937_64 gen(5);
  std::vector<uint64_t> w(400007);
  for (auto& v : w) v = gen();
  for (int64_t n : {int64_t(0), int64_t(1), int64_t(31), int64_t(33), int64_t(131073), int64_t(400006)}) {
    uint64_t expect = 0;
    for (int64_t i = 0; i < n; ++i) expect += w[size_t(1 + i)];
    EXPECT_EQ(read_sum(w.data() + 1, n * 8), expect) << "words " << n;
  }
  std::vector<unsigned char> bytes(8 * 1001 + 3);
  for (auto& b : bytes) b = static_cast<unsigned char>(gen());
  uint64_t expect = 0;
  for (int i = 0; i < 1001; ++i) {
    uint64_t v;
    std::memcpy(&v, bytes.data() + 3 + 8 * i, 8);
    expect += v;
  }
  EXPECT_EQ(read_sum(bytes.data() + 3, 8 * 1001), expect);
  EXPECT_THROW(read_sum(bytes.data(), 12), Error);
}

TEST_P(FastKernels, RopeMatchesReference) {
  for (int64_t hd : {2, 6, 64, 128})
    for (int64_t n : {1, 5, 130}) {
      const int64_t nh = 3;
      std::vector<float> inv(hd / 2);
      for (int64_t j = 0; j < hd / 2; ++j) inv[j] = float(std::pow(10000.0, -2.0 * j / hd));
      std::vector<int32_t> pos(n);
      for (int64_t i = 0; i < n; ++i) pos[i] = int32_t(i * 37 % 4001);
      auto x = random_floats(n * nh * hd, uint64_t(hd + n));
      auto r = x;
      {
        LevelGuard g(KernelLevel::reference);
        rope(r.data(), pos.data(), inv.data(), n, nh, hd);
      }
      rope(x.data(), pos.data(), inv.data(), n, nh, hd);
      EXPECT_LT(max_abs_diff(x.data(), r.data(), x.size()), 1e-5) << "hd=" << hd << " n=" << n;
    }
}

INSTANTIATE_TEST_SUITE_P(Levels, FastKernels, ::testing::ValuesIn(testing::kAllIsas),
                         [](const ::testing::TestParamInfo<CpuIsa>& info) {
                           return std::string(cpu_isa_name(info.param));
                         });

}  // namespace
}  // namespace t2::tensor
