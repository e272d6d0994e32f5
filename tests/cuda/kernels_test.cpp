// Every device kernel of cuda/kernels.h and the cuBLAS projection against the CPU reference level
// (tensor/ops.h at KernelLevel::reference, model/sampling.h) on random inputs: f32 kernels to
// ~1e-5, bf16 products and caches within bf16 rounding (2⁻⁸ relative).
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include "cuda/blas.h"
#include "cuda/kernels.h"
#include "device_test.h"
#include "model/sampling.h"
#include "tensor/ops.h"

namespace t2::cuda {
namespace {

using namespace t2::cuda::test;
using tensor::DType;

class CudaKernels : public ::testing::Test {
 protected:
  void SetUp() override { tensor::set_kernel_level(tensor::KernelLevel::reference); }
  void TearDown() override { tensor::set_kernel_level(tensor::KernelLevel::fast); }
  void sync() { ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess); }
};

TEST_F(CudaKernels, EmbeddingGathersRowsOfEveryDtype) {
  T2_REQUIRE_DEVICE();
  const int64_t nv = 50, d = 72, n = 9;
  const auto table = random_vec(nv * d, 1);
  const std::vector<int32_t> ids = {0, 49, 3, 3, 17, 8, 22, 41, 1};
  for (DType dt : {DType::f32, DType::bf16, DType::f16}) {
    std::vector<uint16_t> half(table.size());
    const void* src = table.data();
    if (dt != DType::f32) {
      tensor::convert_from_f32(table.data(), dt, half.data(), table.size());
      src = half.data();
    }
    DeviceBuffer dtab(table.size() * tensor::dtype_size(dt));
    dtab.upload(src, dtab.bytes());
    auto dids = to_device(ids);
    DeviceBuffer out(n * d * sizeof(float));
    embedding(dtab.get(), dt, dids.as<int32_t>(), out.as<float>(), n, d, nullptr);
    sync();
    std::vector<float> want(n * d);
    tensor::embedding(src, dt, nv, ids.data(), want.data(), n, d);
    EXPECT_EQ(to_host<float>(out, n * d), want) << tensor::dtype_name(dt);
  }
}

TEST_F(CudaKernels, RmsNormRopeSiluAddMatchReference) {
  T2_REQUIRE_DEVICE();
  const int64_t n = 7, nh = 4, hd = 64, d = nh * hd;
  auto x = random_vec(n * d, 2);
  const auto w = random_vec(d, 3);
  // RMSNorm
  auto dx = to_device(x), dw = to_device(w);
  DeviceBuffer dy(n * d * sizeof(float));
  rms_norm(dx.as<float>(), dw.as<float>(), dy.as<float>(), n, d, 1e-5f, nullptr);
  sync();
  std::vector<float> want(n * d);
  tensor::rms_norm(x.data(), w.data(), want.data(), n, d, 1e-5f);
  EXPECT_LT(rel_error(to_host<float>(dy, n * d), want), 1e-6);
  // RoPE at large positions (angles in f32, trig in f64 on both sides).
  std::vector<int32_t> pos = {0, 1, 5, 100, 4095, 8191, 131071};
  std::vector<float> inv_freq(hd / 2);
  for (int64_t j = 0; j < hd / 2; ++j) inv_freq[j] = std::pow(500000.0f, -2.0f * j / hd);
  auto dpos = to_device(pos), dfreq = to_device(inv_freq);
  rope(dx.as<float>(), dpos.as<int32_t>(), dfreq.as<float>(), n, nh, hd, nullptr);
  sync();
  tensor::rope(x.data(), pos.data(), inv_freq.data(), n, nh, hd);
  EXPECT_LT(rel_error(to_host<float>(dx, n * d), x), 1e-6);
  // SwiGLU and the residual add
  const auto g = random_vec(n * d, 4), u = random_vec(n * d, 5);
  auto dg = to_device(g), du = to_device(u);
  silu_mul(dg.as<float>(), du.as<float>(), dy.as<float>(), n * d, nullptr);
  sync();
  tensor::silu_mul(g.data(), u.data(), want.data(), n * d);
  EXPECT_LT(rel_error(to_host<float>(dy, n * d), want), 1e-6);
  add(dg.as<float>(), du.as<float>(), dy.as<float>(), n * d, nullptr);
  sync();
  tensor::add(g.data(), u.data(), want.data(), n * d);
  EXPECT_EQ(to_host<float>(dy, n * d), want);
}

// A mixed batch (two sequences: a 5-token prefill chunk after 3 cached tokens, and one decode token
// at position 40) through kv_store + attention, against tensor::attention on the full rows.
TEST_F(CudaKernels, AttentionOverTheCacheMatchesReferenceForPrefillAndDecode) {
  T2_REQUIRE_DEVICE();
  const int64_t nh = 8, nkv = 2, hd = 64, n_layer = 2, layer = 1;
  const std::vector<int64_t> len = {8, 41};     // tokens of each sequence after the batch
  const std::vector<int64_t> chunk = {5, 1};    // rows of each in the batch
  const int64_t cap = 300;                      // > kTile: tiles of the online softmax
  for (DType kv_dt : {DType::f32, DType::bf16}) {
    std::vector<DeviceBuffer> store;
    std::vector<unsigned long long> base;
    std::vector<int32_t> pos, caps;
    std::vector<float> q_all, want_all;
    for (size_t s = 0; s < len.size(); ++s) {
      const int64_t L = len[s];
      auto k = random_vec(L * nkv * hd, 10 + s), v = random_vec(L * nkv * hd, 20 + s);
      if (kv_dt == DType::bf16)  // the cache rounds keys and values; the reference sees the same
        for (auto* t : {&k, &v})
          for (auto& e : *t) e = tensor::bf16_to_f32(tensor::f32_to_bf16(e));
      store.emplace_back(n_layer * 2 * nkv * cap * hd * tensor::dtype_size(kv_dt));
      const auto q = random_vec(chunk[s] * nh * hd, 30 + s);
      std::vector<float> out(chunk[s] * nh * hd);
      tensor::attention(q.data(), k.data(), v.data(), out.data(), chunk[s], L - chunk[s], L, nh,
                        nkv, hd, 0.125f);
      q_all.insert(q_all.end(), q.begin(), q.end());
      want_all.insert(want_all.end(), out.begin(), out.end());
      // Store every position of the sequence through kv_store (one row per position).
      for (int64_t t = 0; t < L; ++t) {
        const unsigned long long b = reinterpret_cast<unsigned long long>(store.back().get());
        const int32_t p = static_cast<int32_t>(t), c = static_cast<int32_t>(cap);
        auto db = to_device(std::vector<unsigned long long>{b});
        auto dp = to_device(std::vector<int32_t>{p});
        auto dc = to_device(std::vector<int32_t>{c});
        auto dk = to_device(std::vector<float>(k.begin() + t * nkv * hd, k.begin() + (t + 1) * nkv * hd));
        auto dv = to_device(std::vector<float>(v.begin() + t * nkv * hd, v.begin() + (t + 1) * nkv * hd));
        kv_store({db.as<unsigned long long>(), dp.as<int32_t>(), dc.as<int32_t>()}, kv_dt, layer,
                 dk.as<float>(), dv.as<float>(), 1, nkv, hd, nullptr);
        sync();
      }
      for (int64_t i = 0; i < chunk[s]; ++i) {
        base.push_back(reinterpret_cast<unsigned long long>(store.back().get()));
        pos.push_back(static_cast<int32_t>(L - chunk[s] + i));
        caps.push_back(static_cast<int32_t>(cap));
      }
    }
    const int64_t n = static_cast<int64_t>(pos.size());
    auto db = to_device(base);
    auto dp = to_device(pos);
    auto dc = to_device(caps);
    auto dq = to_device(q_all);
    DeviceBuffer dout(n * nh * hd * sizeof(float));
    attention({db.as<unsigned long long>(), dp.as<int32_t>(), dc.as<int32_t>()}, kv_dt, layer,
              dq.as<float>(), dout.as<float>(), n, nh, nkv, hd, 0.125f, nullptr);
    sync();
    EXPECT_LT(rel_error(to_host<float>(dout, n * nh * hd), want_all), 1e-5) << tensor::dtype_name(kv_dt);
  }
}

TEST_F(CudaKernels, ArgmaxLogprobsAndSamplingMatchTheHost) {
  T2_REQUIRE_DEVICE();
  const int64_t n = 6, nv = 5000;
  auto logits = random_vec(n * nv, 40, 3.0f);
  logits[2 * nv + 17] = logits[2 * nv + 4000] = 50.0f;  // a tie: the first index wins
  auto dl = to_device(logits);
  DeviceBuffer dtok(n * sizeof(int32_t)), dlp(n * sizeof(float));
  argmax_rows(dl.as<float>(), n, nv, dtok.as<int32_t>(), nullptr);
  sync();
  const auto tok = to_host<int32_t>(dtok, n);
  for (int64_t i = 0; i < n; ++i) EXPECT_EQ(tok[i], model::argmax(logits.data() + i * nv, nv));
  token_logprobs(dl.as<float>(), n, nv, dtok.as<int32_t>(), dlp.as<float>(), nullptr);
  sync();
  const auto lp = to_host<float>(dlp, n);
  for (int64_t i = 0; i < n; ++i)
    EXPECT_NEAR(lp[i], model::token_logprob(logits.data() + i * nv, nv, tok[i]), 1e-5);
  // Sampling: the device with the host's uniform draw picks what model::sample_token picks.
  const std::vector<float> temps = {0.0f, 0.7f, 1.0f, 1.3f, 0.7f, 1.0f};
  const std::vector<float> top_ps = {1.0f, 1.0f, 0.9f, 0.5f, 0.95f, 0.3f};
  model::SamplerScratch scratch;
  int agree = 0, total = 0;
  for (uint64_t trial = 0; trial < 20; ++trial) {
    std::vector<double> u(n);
    std::vector<int32_t> want(n);
    for (int64_t i = 0; i < n; ++i) {
      Rng r = Rng::stream(trial, static_cast<uint64_t>(i), RngPurpose::sampling);
      Rng copy = r;
      u[i] = temps[i] > 0 ? copy.uniform() : 0.0;
      want[i] = model::sample_token(logits.data() + i * nv, nv, {temps[i], top_ps[i]}, r, scratch);
    }
    auto du = to_device(u);
    auto dt = to_device(temps);
    auto dtp = to_device(top_ps);
    sample_rows(dl.as<float>(), n, nv, dt.as<float>(), dtp.as<float>(), du.as<double>(),
                dtok.as<int32_t>(), nullptr);
    sync();
    const auto got = to_host<int32_t>(dtok, n);
    for (int64_t i = 0; i < n; ++i) {
      if (got[i] < 0) continue;  // nucleus beyond the device sampler: the host samples that row
      agree += got[i] == want[i];
      ++total;
    }
  }
  // Float summation order may move a draw that lands within rounding of a boundary.
  EXPECT_GE(agree, total - 2) << agree << " of " << total;
  EXPECT_GT(total, 100);
}

TEST_F(CudaKernels, Bf16AndF32ProjectionsMatchTheCpuLinear) {
  T2_REQUIRE_DEVICE();
  const int64_t n = 5, m = 96, k = 160;
  const auto x = random_vec(n * k, 50), w = random_vec(m * k, 51, 0.1f);
  std::vector<float> want(n * m);
  tensor::linear(x.data(), w.data(), DType::f32, want.data(), n, m, k);
  Blas blas(nullptr);
  auto dx = to_device(x);
  DeviceBuffer dy(n * m * sizeof(float));
  auto dw = to_device(w);
  blas.linear(dx.as<float>(), dw.get(), DType::f32, dy.as<float>(), n, m, k);
  sync();
  EXPECT_LT(rel_error(to_host<float>(dy, n * m), want), 1e-5);
  std::vector<uint16_t> wb(w.size());
  tensor::convert_from_f32(w.data(), DType::bf16, wb.data(), w.size());
  std::vector<float> want_bf16(n * m);
  tensor::linear(x.data(), wb.data(), DType::bf16, want_bf16.data(), n, m, k);
  auto dwb = to_device(wb);
  blas.linear(dx.as<float>(), dwb.get(), DType::bf16, dy.as<float>(), n, m, k);
  sync();
  // Both round x to bf16 (the reference does not: 2⁻⁸ relative to Σ|x·w|).
  EXPECT_LT(rel_error(to_host<float>(dy, n * m), want_bf16), 1.0 / 64);
}

TEST_F(CudaKernels, CopyBandwidthIsPositive) {
  T2_REQUIRE_DEVICE();
  EXPECT_GT(copy_bandwidth_gbs(size_t(64) << 20, 2), 1.0);
}

}  // namespace
}  // namespace t2::cuda
