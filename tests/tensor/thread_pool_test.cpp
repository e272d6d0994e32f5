// The kernel worker pool: every chunk runs exactly once, for any chunk count and team size; calls
// nested in a chunk and calls racing from several threads complete (serially where they must).
#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tensor/cpu/thread_pool.h"

namespace t2::tensor::fast {
namespace {

TEST(ThreadPool, EveryChunkRunsOnce) {
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    for (int64_t n : {0, 1, 2, 7, 64, 1000, 5000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      for (int rep = 0; rep < 20; ++rep) parallel_chunks(n, [&](int64_t i) { hits[size_t(i)]++; });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 20) << "n=" << n << " i=" << i;
    }
  }
  omp_set_num_threads(saved);
}

TEST(ThreadPool, NestedCallsRunInline) {
  std::atomic<int64_t> sum{0};
  parallel_chunks(8, [&](int64_t i) {
    EXPECT_EQ(pool_threads(), 1);
    parallel_chunks(10, [&](int64_t j) { sum += i * 10 + j; });
  });
  EXPECT_EQ(sum.load(), 80 * 79 / 2);
}

TEST(ThreadPool, ConcurrentCallersAllComplete) {
  std::vector<std::atomic<int64_t>> sums(4);
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&, c] {
      for (int rep = 0; rep < 200; ++rep) parallel_chunks(33, [&](int64_t i) { sums[size_t(c)] += i; });
    });
  for (auto& t : callers) t.join();
  for (auto& s : sums) EXPECT_EQ(s.load(), 200 * (33 * 32 / 2));
}

}  // namespace
}  // namespace t2::tensor::fast
