// Benchmarks of the SVF core at the Llama-3.2-1B MLP shapes (gate/up [8192, 2048], down
// [2048, 8192]): SVD per matrix (f32 and f64 LAPACK), dense recomposition per matrix, dense vs
// factored application (svf/override.h, bf16 storage, the engine's kernels) for a batch of rows,
// and one CEM generation (32 candidates × 10 prompts × 32 tokens) scored with factored batching
// versus 32 sequential recompositions, per matrix (a model has 48 such matrices, so model-level
// times are ≈ 48× these). Whole-model figures: tests/bench/svf_door_bench. Not a ctest; run:
//   build/tests/svf/svf_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <map>

#include "base/rng.h"
#include "svf/compose.h"
#include "svf/override.h"
#include "svf/svd.h"
#include "tensor/dtype.h"

namespace {

using namespace t2;
using namespace t2::svf;

std::vector<float> random_values(size_t n, uint64_t seed, double scale = 0.02) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.normal() * scale);
  return v;
}

// A random matrix's SVD, computed once per shape and kept (the SVD itself is benchmarked apart).
const Svd& cached_svd(int64_t out, int64_t in) {
  static std::map<std::pair<int64_t, int64_t>, Svd> cache;
  auto it = cache.find({out, in});
  if (it == cache.end()) {
    it = cache.emplace(std::pair{out, in},
                       compute_svd(random_values(out * in, 1), out, in, SvdPrecision::f32, "W"))
             .first;
  }
  return it->second;
}

std::vector<float> random_z(int64_t r, uint64_t seed) {
  return scaling_from_params(random_values(r, seed, 1.0), 1.0);
}

void BM_Svd(benchmark::State& state) {
  const int64_t out = state.range(0), in = state.range(1);
  const auto prec = state.range(2) ? SvdPrecision::f64 : SvdPrecision::f32;
  const auto w = random_values(out * in, 2);
  for (auto _ : state) benchmark::DoNotOptimize(compute_svd(w, out, in, prec, "W"));
  state.SetLabel(precision_name(prec));
}
BENCHMARK(BM_Svd)->Args({8192, 2048, 0})->Args({2048, 8192, 0})->Args({8192, 2048, 1})
    ->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

void BM_ComposeDense(benchmark::State& state) {
  const Svd& svd = cached_svd(state.range(0), state.range(1));
  const auto z = random_z(svd.r, 3);
  std::vector<float> w(svd.n_out * svd.n_in);
  for (auto _ : state) compose_dense(svd, z, w, "W");
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * svd.n_out * svd.n_in * svd.r * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ComposeDense)->Args({8192, 2048})->Args({2048, 8192})->Iterations(3)
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// Application to n rows through the engine's kernels, weights stored in bf16: dense x·W'ᵀ versus
// the slot override's factored path with 8 different scalings (one per 8th of the rows).
std::shared_ptr<const EngineMatrix> bf16_matrix(const Svd& svd) {
  std::vector<float> w(static_cast<size_t>(svd.n_out * svd.n_in));
  compose_dense(svd, random_z(svd.r, 3), w, "W");
  return std::make_shared<const EngineMatrix>(w, svd.n_out, svd.n_in, tensor::DType::bf16);
}

SlotOverride factored_override(const Svd& svd, int64_t n_seq, uint64_t seed) {
  std::vector<float> scales;
  std::vector<SlotOverride::Route> routes;
  for (int64_t q = 0; q < n_seq; ++q) {
    auto e = effective_singular_values(svd.s, random_z(svd.r, seed + q), "W");
    scales.insert(scales.end(), e.begin(), e.end());
    routes.push_back({-1, static_cast<int32_t>(q)});
  }
  return SlotOverride(svd.n_out, svd.n_in, {},
                      std::make_shared<const EngineFactors>(svd, tensor::DType::bf16), scales,
                      routes, routes.front());
}

void BM_ApplyDense(benchmark::State& state) {
  const int64_t n = state.range(2);
  const Svd& svd = cached_svd(state.range(0), state.range(1));
  const auto w = bf16_matrix(svd);
  const auto x = random_values(n * svd.n_in, 5, 1.0);
  std::vector<float> y(n * svd.n_out);
  for (auto _ : state) w->apply(x.data(), y.data(), n);
  state.counters["rows/s"] = benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
}
void BM_ApplyFactored(benchmark::State& state) {
  const int64_t n = state.range(2), n_seq = 8;
  const Svd& svd = cached_svd(state.range(0), state.range(1));
  const SlotOverride ov = factored_override(svd, n_seq, 10);
  std::vector<int32_t> row_seq(n);
  for (int64_t i = 0; i < n; ++i) row_seq[i] = static_cast<int32_t>(i % n_seq);
  const auto x = random_values(n * svd.n_in, 5, 1.0);
  std::vector<float> y(n * svd.n_out);
  for (auto _ : state) ov.forward(x.data(), y.data(), n, row_seq);
  state.counters["rows/s"] = benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ApplyDense)->Args({8192, 2048, 16})->Args({8192, 2048, 512})
    ->Args({2048, 8192, 512})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_ApplyFactored)->Args({8192, 2048, 16})->Args({8192, 2048, 512})
    ->Args({2048, 8192, 512})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);

// One CEM generation on one matrix: 32 candidates × 10 prompts × 32 tokens = 10,240 rows.
constexpr int64_t kCandidates = 32, kRowsPerCandidate = 10 * 32;

void BM_CemGenerationSequentialDense(benchmark::State& state) {
  const Svd& svd = cached_svd(state.range(0), state.range(1));
  const auto x = random_values(kRowsPerCandidate * svd.n_in, 6, 1.0);
  std::vector<float> w(svd.n_out * svd.n_in), y(kRowsPerCandidate * svd.n_out);
  for (auto _ : state) {
    for (int64_t c = 0; c < kCandidates; ++c) {
      compose_dense(svd, random_z(svd.r, 100 + c), w, "W");
      const EngineMatrix m(w, svd.n_out, svd.n_in, tensor::DType::bf16);
      m.apply(x.data(), y.data(), kRowsPerCandidate);
    }
  }
}
void BM_CemGenerationFactoredBatch(benchmark::State& state) {
  const Svd& svd = cached_svd(state.range(0), state.range(1));
  const int64_t n = kCandidates * kRowsPerCandidate;
  const auto x = random_values(n * svd.n_in, 6, 1.0);
  std::vector<float> y(n * svd.n_out);
  std::vector<int32_t> row_seq(n);
  for (int64_t i = 0; i < n; ++i) row_seq[i] = static_cast<int32_t>(i / kRowsPerCandidate);
  for (auto _ : state) {
    const SlotOverride ov = factored_override(svd, kCandidates, 100);
    ov.forward(x.data(), y.data(), n, row_seq);
  }
}
BENCHMARK(BM_CemGenerationSequentialDense)->Args({8192, 2048})->Iterations(1)
    ->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_CemGenerationFactoredBatch)->Args({8192, 2048})->Iterations(1)
    ->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
