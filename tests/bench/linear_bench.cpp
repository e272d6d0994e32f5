// linear at Llama-3.2-1B shapes: decode (n = 1, 16) and prefill (n = 128, 512), bf16 and f32
// weights, fast and reference levels. Reports GFLOP/s (2·n·m·k per call) and weight GB/s (bytes of
// W per call; the decode kernels read W once, so this is the achieved memory bandwidth).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/ops.h"

namespace t2::tensor {
namespace {

struct Shape {
  const char* name;
  int64_t m, k;
};

constexpr Shape kShapes[] = {{"gate_up", 8192, 2048}, {"down", 2048, 8192}, {"q_o", 2048, 2048},
                             {"k_v", 512, 2048},      {"head", 128256, 2048}};

std::vector<float> random_vector(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

// Weights are generated once per (shape, dtype) and kept: the head matrix is 0.5 GB in bf16.
const std::vector<uint8_t>& weights(int shape, DType dt) {
  static std::vector<uint8_t> cache[5][3];
  auto& w = cache[shape][int(dt)];
  if (w.empty()) {
    size_t count = size_t(kShapes[shape].m * kShapes[shape].k);
    std::mt19937 gen{static_cast<uint32_t>(shape)};
    std::uniform_real_distribution<float> d(-0.05f, 0.05f);
    std::vector<float> f(count);
    for (auto& x : f) x = d(gen);
    w.resize(count * dtype_size(dt));
    convert_from_f32(f.data(), dt, w.data(), count);
  }
  return w;
}

void BM_linear(benchmark::State& state) {
  const int shape = int(state.range(0));
  const int64_t n = state.range(1);
  const DType dt = DType(state.range(2));
  const KernelLevel level = KernelLevel(state.range(3));
  const auto& s = kShapes[shape];
  const auto& w = weights(shape, dt);
  auto x = random_vector(size_t(n * s.k), 7);
  std::vector<float> y(size_t(n * s.m));
  KernelLevel saved = kernel_level();
  set_kernel_level(level);
  for (auto _ : state) {
    linear(x.data(), w.data(), dt, y.data(), n, s.m, s.k);
    benchmark::DoNotOptimize(y.data());
  }
  set_kernel_level(saved);
  const double flops = 2.0 * double(n) * double(s.m) * double(s.k);
  const double bytes = double(s.m) * double(s.k) * double(dtype_size(dt));
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(s.name) + " " + dtype_name(dt) + " " + kernel_level_name(level));
}

void linear_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"shape", "n", "dtype", "level"});
  for (int shape = 0; shape < 5; ++shape)
    for (int64_t n : {1, 16, 128, 512}) {
      b->Args({shape, n, int(DType::bf16), int(KernelLevel::fast)});
      if (shape != 4) b->Args({shape, n, int(DType::f32), int(KernelLevel::fast)});
    }
  // Reference level: decode only (a prefill call takes many seconds).
  for (int shape = 0; shape < 4; ++shape) b->Args({shape, 1, int(DType::bf16), int(KernelLevel::reference)});
  b->Args({2, 16, int(DType::bf16), int(KernelLevel::reference)});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_linear)->Apply(linear_args);

}  // namespace
}  // namespace t2::tensor
