// linear at Llama-3.2-1B shapes: decode (n = 1, 16) and prefill (n = 128, 512), bf16 and f32
// weights, at every CPU instruction-set level the machine has (forced with set_cpu_isa; levels it
// lacks are skipped) and at the reference level. Reports GFLOP/s (2·n·m·k per call) and weight GB/s
// (bytes of W per call; the decode kernels read W once, so this is the achieved memory bandwidth)
// and GFLOP per CPU-second of all threads (the per-core efficiency, robust to a loaded machine);
// the label names the shape, dtype, level and the kernel that ran (linear_kernel_name).
#include <benchmark/benchmark.h>
#include <sys/resource.h>  // getrusage

#include <random>
#include <string>
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

double process_cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

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

// The `level` argument: a CpuIsa value for the fast kernels at that level, or kReference.
constexpr int kReference = 5;

void BM_linear(benchmark::State& state) {
  const int shape = int(state.range(0));
  const int64_t n = state.range(1);
  const DType dt = DType(state.range(2));
  const int level = int(state.range(3));
  const auto& s = kShapes[shape];
  if (level != kReference && CpuIsa(level) > cpu_isa_supported()) {
    state.SkipWithError((std::string("this CPU lacks the ") + cpu_isa_name(CpuIsa(level)) + " level").c_str());
    return;
  }
  const auto& w = weights(shape, dt);
  auto x = random_vector(size_t(n * s.k), 7);
  std::vector<float> y(size_t(n * s.m));
  const KernelLevel saved = kernel_level();
  const CpuIsa saved_isa = cpu_isa();
  if (level == kReference)
    set_kernel_level(KernelLevel::reference);
  else
    set_cpu_isa(CpuIsa(level));
  const std::string kernel = linear_kernel_name(dt, n, s.m, s.k);
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    linear(x.data(), w.data(), dt, y.data(), n, s.m, s.k);
    benchmark::DoNotOptimize(y.data());
  }
  const double cpu = process_cpu_seconds() - cpu0;
  set_kernel_level(saved);
  set_cpu_isa(saved_isa);
  const double flops = 2.0 * double(n) * double(s.m) * double(s.k);
  const double bytes = double(s.m) * double(s.k) * double(dtype_size(dt));
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  // Per second of CPU time of all threads: what a core does while it runs, whatever else shares
  // the machine (compare kernels and levels by this on a loaded machine).
  state.counters["GFLOP/cpu-s"] = flops * 1e-9 * double(state.iterations()) / cpu;
  state.SetLabel(std::string(s.name) + " " + dtype_name(dt) + " " +
                 (level == kReference ? "reference" : cpu_isa_name(CpuIsa(level))) + ": " + kernel);
}

// bf16 weights at every level (best first), f32 weights at the best level and avx2; then the
// reference level for decode only (a prefill call takes many seconds).
void linear_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"shape", "n", "dtype", "level"});
  for (int level = int(CpuIsa::amx); level >= int(CpuIsa::generic); --level)
    for (int shape = 0; shape < 5; ++shape)
      for (int64_t n : {1, 16, 128, 512}) {
        if (level == int(CpuIsa::generic) && n > 16) continue;  // seconds per call
        b->Args({shape, n, int(DType::bf16), level});
        if (shape != 4 && (level == int(cpu_isa_supported()) || level == int(CpuIsa::avx2)))
          b->Args({shape, n, int(DType::f32), level});
      }
  for (int shape = 0; shape < 4; ++shape) b->Args({shape, 1, int(DType::bf16), kReference});
  b->Args({2, 16, int(DType::bf16), kReference});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_linear)->Apply(linear_args);

}  // namespace
}  // namespace t2::tensor
