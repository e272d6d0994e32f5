// Worker pool of the fast kernels (see thread_pool.h). One job at a time; its whole control state
// is a single 64-bit word: generation (16 bits) | worker limit (8) | chunk count (20) | next chunk
// (20). A thread claims chunk i by a compare-exchange from (g, l, n, i) to (g, l, n, i + 1), so a
// claim can only succeed for the job it read, and the caller does not publish a new job before
// every claimed chunk of the current one has completed (`done_`); the job descriptor read after a
// successful claim is therefore the right one. Chunk counts above 2^20 - 1 are run serially.
#include "tensor/cpu/thread_pool.h"

#include <immintrin.h>  // _mm_pause
#include <omp.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace t2::tensor::fast {

namespace {

constexpr int kSpinIterations = 2000;  // ~0.1 ms of pause before a worker sleeps
constexpr int64_t kMaxChunks = (int64_t(1) << 20) - 1;
constexpr int kMaxWorkers = 255;

uint64_t pack(uint64_t gen, uint64_t limit, uint64_t n, uint64_t next) {
  return (gen & 0xffff) << 48 | (limit & 0xff) << 40 | (n & 0xfffff) << 20 | (next & 0xfffff);
}
uint64_t gen_of(uint64_t s) { return s >> 48; }
int limit_of(uint64_t s) { return int((s >> 40) & 0xff); }
int64_t n_of(uint64_t s) { return int64_t((s >> 20) & 0xfffff); }
int64_t next_of(uint64_t s) { return int64_t(s & 0xfffff); }

thread_local bool t_in_chunk = false;

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(sleep_mu_);
      stop_.store(true);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  // Runs the job; false when it must run serially instead (another job in flight).
  bool run(int64_t n, ChunkFn fn, void* ctx, int threads) {
    std::unique_lock<std::mutex> job(job_mu_, std::try_to_lock);
    if (!job.owns_lock()) return false;
    const int n_workers = std::min(threads - 1, kMaxWorkers);
    while (int(workers_.size()) < n_workers) {
      const int id = int(workers_.size());
      workers_.emplace_back([this, id] { worker(id); });
    }
    fn_ = fn;
    ctx_ = ctx;
    done_.store(0, std::memory_order_relaxed);
    gen_ = (gen_ + 1) & 0xffff;
    state_.store(pack(gen_, uint64_t(n_workers), uint64_t(n), 0), std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lk(sleep_mu_);
      cv_.notify_all();
    }
    claim_and_run();
    while (done_.load(std::memory_order_acquire) < n) _mm_pause();
    return true;
  }

 private:
  // Claims chunks of the current job until none is left.
  void claim_and_run() {
    uint64_t s = state_.load(std::memory_order_acquire);
    while (next_of(s) < n_of(s)) {
      if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) continue;
      t_in_chunk = true;
      fn_(ctx_, next_of(s));
      t_in_chunk = false;
      done_.fetch_add(1, std::memory_order_release);
      s = state_.load(std::memory_order_acquire);
    }
  }

  void worker(int id) {
    uint64_t seen = gen_of(state_.load());
    for (;;) {
      uint64_t s = state_.load(std::memory_order_acquire);
      for (int spins = 0; gen_of(s) == seen; s = state_.load(std::memory_order_acquire)) {
        if (stop_.load(std::memory_order_relaxed)) return;
        if (++spins < kSpinIterations) {
          _mm_pause();
          continue;
        }
        std::unique_lock<std::mutex> lk(sleep_mu_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        cv_.wait(lk, [&] { return stop_.load() || gen_of(state_.load(std::memory_order_seq_cst)) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_seq_cst);
        spins = 0;
      }
      seen = gen_of(s);
      if (id < limit_of(s)) claim_and_run();
    }
  }

  std::mutex job_mu_;  // one job at a time
  ChunkFn fn_ = nullptr;
  void* ctx_ = nullptr;
  uint64_t gen_ = 0;
  std::atomic<uint64_t> state_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex sleep_mu_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

int pool_threads() {
  if (t_in_chunk || omp_in_parallel()) return 1;
  return std::max(1, omp_get_max_threads());
}

void parallel_chunks_raw(int64_t n_chunks, ChunkFn fn, void* ctx) {
  if (n_chunks <= 0) return;
  const int threads = pool_threads();
  if (threads > 1 && n_chunks > 1 && n_chunks <= kMaxChunks && pool().run(n_chunks, fn, ctx, threads))
    return;
  for (int64_t i = 0; i < n_chunks; ++i) fn(ctx, i);
}

}  // namespace t2::tensor::fast
