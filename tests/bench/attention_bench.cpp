// Causal GQA attention at Llama-3.2-1B head geometry (32 heads, 8 KV heads, head_dim 64):
// decode (one query against n_ctx keys) and prefill (n_q = n_ctx queries). GFLOP/s counts the
// QKᵀ and PV multiply-adds actually needed under the causal mask. BM_attention_cached reads a bf16
// KV-cache layer as the engine does; its decode case cycles through `n_caches` layers (16
// sequences × 16 layers: each decode step finds its keys outside L2, as in batched decode).
// The CPU level follows T2_CPU_KERNELS.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "tensor/ops.h"

namespace t2::tensor {
namespace {

std::vector<float> random_normal(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = d(gen);
  return x;
}

// Visible (query, key) pairs of n_q queries ending at key n_ctx − 1.
double causal_pairs(int64_t n_q, int64_t n_ctx) {
  double pairs = 0;
  for (int64_t i = 0; i < n_q; ++i) pairs += double(n_ctx - n_q + i + 1);
  return pairs;
}

void BM_attention(benchmark::State& state) {
  const int64_t n_ctx = state.range(0), n_q = state.range(1);
  const KernelLevel level = KernelLevel(state.range(2));
  const int64_t nh = 32, nkv = 8, hd = 64, p0 = n_ctx - n_q;
  const auto q = random_normal(n_q * nh * hd, 1), k = random_normal(n_ctx * nkv * hd, 2),
             v = random_normal(n_ctx * nkv * hd, 3);
  std::vector<float> out(q.size());
  KernelLevel saved = kernel_level();
  set_kernel_level(level);
  for (auto _ : state) {
    attention(q.data(), k.data(), v.data(), out.data(), n_q, p0, n_ctx, nh, nkv, hd, 0.125f);
    benchmark::DoNotOptimize(out.data());
  }
  set_kernel_level(saved);
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * causal_pairs(n_q, n_ctx) * nh * hd * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(kernel_level_name(level));
}

BENCHMARK(BM_attention)
    ->ArgNames({"n_ctx", "n_q", "level"})
    ->Args({256, 1, int(KernelLevel::fast)})
    ->Args({1024, 1, int(KernelLevel::fast)})
    ->Args({128, 128, int(KernelLevel::fast)})
    ->Args({512, 512, int(KernelLevel::fast)})
    ->Args({1024, 1, int(KernelLevel::reference)})
    ->Args({128, 128, int(KernelLevel::reference)})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_attention_cached(benchmark::State& state) {
  const int64_t n_ctx = state.range(0), n_q = state.range(1), n_caches = state.range(2);
  const int64_t nh = 32, nkv = 8, hd = 64, p0 = n_ctx - n_q;
  const int64_t elems = kv_layer_elements(n_ctx, nkv, hd);
  std::vector<std::vector<uint16_t>> kc(static_cast<size_t>(n_caches)), vc(kc.size());
  std::vector<KvLayer> layers;
  for (int64_t c = 0; c < n_caches; ++c) {
    kc[size_t(c)].resize(size_t(elems));
    vc[size_t(c)].resize(size_t(elems));
    layers.push_back({kc[size_t(c)].data(), vc[size_t(c)].data(), n_ctx, kv_key_stride(n_ctx), DType::bf16});
    const auto k = random_normal(n_ctx * nkv * hd, uint32_t(2 * c + 1));
    const auto v = random_normal(n_ctx * nkv * hd, uint32_t(2 * c + 2));
    kv_store(layers.back(), k.data(), v.data(), n_ctx, 0, nkv, hd);
  }
  const auto q = random_normal(n_q * nh * hd, 7);
  std::vector<float> out(q.size());
  int64_t c = 0;
  for (auto _ : state) {
    attention_cached(q.data(), layers[size_t(c)], out.data(), n_q, p0, nh, nkv, hd, 0.125f);
    benchmark::DoNotOptimize(out.data());
    c = (c + 1) % n_caches;
  }
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * causal_pairs(n_q, n_ctx) * nh * hd * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(cpu_isa_name(cpu_isa()));
}

BENCHMARK(BM_attention_cached)
    ->ArgNames({"n_ctx", "n_q", "n_caches"})
    ->Args({256, 1, 256})
    ->Args({512, 512, 1})
    ->Args({2048, 2048, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace t2::tensor
