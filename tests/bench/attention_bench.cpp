// Causal GQA attention at Llama-3.2-1B head geometry (32 heads, 8 KV heads, head_dim 64):
// decode (one query against n_ctx keys) and prefill (n_q = n_ctx queries). GFLOP/s counts the
// QKᵀ and PV multiply-adds actually needed under the causal mask.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "tensor/ops.h"

namespace t2::tensor {
namespace {

void BM_attention(benchmark::State& state) {
  const int64_t n_ctx = state.range(0), n_q = state.range(1);
  const KernelLevel level = KernelLevel(state.range(2));
  const int64_t nh = 32, nkv = 8, hd = 64, p0 = n_ctx - n_q;
  std::mt19937 gen(1);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> q(size_t(n_q * nh * hd)), k(size_t(n_ctx * nkv * hd)), v(k.size()), out(q.size());
  for (auto* buf : {&q, &k, &v})
    for (auto& x : *buf) x = d(gen);
  KernelLevel saved = kernel_level();
  set_kernel_level(level);
  for (auto _ : state) {
    attention(q.data(), k.data(), v.data(), out.data(), n_q, p0, n_ctx, nh, nkv, hd, 0.125f);
    benchmark::DoNotOptimize(out.data());
  }
  set_kernel_level(saved);
  double pairs = 0;  // (query, key) pairs under the mask
  for (int64_t i = 0; i < n_q; ++i) pairs += double(p0 + i + 1);
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * pairs * nh * hd * 1e-9,
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

}  // namespace
}  // namespace t2::tensor
