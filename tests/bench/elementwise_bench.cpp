// Row-wise kernels at Llama-3.2-1B sizes for n tokens: RMSNorm (d 2048), SiLU·up (8192 per
// token), RoPE (32 heads × 64), log-softmax over the 128256-entry vocabulary. Reports elements/s.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "tensor/ops.h"

namespace t2::tensor {
namespace {

std::vector<float> filled(size_t n, float scale) {
  std::mt19937 gen(3);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

enum Op { kRmsNorm, kSiluMul, kRope, kLogSoftmax };

void BM_rowwise(benchmark::State& state) {
  const Op op = Op(state.range(0));
  const int64_t n = state.range(1);
  const KernelLevel level = KernelLevel(state.range(2));
  const int64_t d = op == kRmsNorm ? 2048 : op == kSiluMul ? 8192 : op == kRope ? 32 * 64 : 128256;
  auto x = filled(size_t(n * d), 2.0f), b = filled(size_t(n * d), 1.0f), w = filled(size_t(d), 1.0f);
  std::vector<float> y(x.size()), inv_freq(32);
  for (int j = 0; j < 32; ++j) inv_freq[j] = float(std::pow(500000.0, -j / 32.0));
  std::vector<int32_t> pos(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) pos[i] = int32_t(i);
  KernelLevel saved = kernel_level();
  set_kernel_level(level);
  for (auto _ : state) {
    switch (op) {
      case kRmsNorm: rms_norm(x.data(), w.data(), y.data(), n, d, 1e-5f); break;
      case kSiluMul: silu_mul(x.data(), b.data(), y.data(), n * d); break;
      case kRope: rope(x.data(), pos.data(), inv_freq.data(), n, 32, 64); break;
      case kLogSoftmax: log_softmax(x.data(), y.data(), n, d); break;
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::DoNotOptimize(x.data());
  }
  set_kernel_level(saved);
  state.counters["Melem/s"] = benchmark::Counter(double(n * d) * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
  static const char* names[] = {"rms_norm", "silu_mul", "rope", "log_softmax"};
  state.SetLabel(std::string(names[op]) + " " + kernel_level_name(level));
}

void rowwise_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"op", "n", "level"});
  for (int op = 0; op < 4; ++op)
    for (int64_t n : {1, 16, 512})
      for (int level : {0, 1}) b->Args({op, op == kLogSoftmax && n == 512 ? 64 : n, level});
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}

BENCHMARK(BM_rowwise)->Apply(rowwise_args);

}  // namespace
}  // namespace t2::tensor
