// The worker pool of the fast CPU kernels: parallel_chunks(n, fn) runs fn(0..n-1), each chunk on
// one thread, the calling thread included. Chunks are claimed from one atomic counter, and the
// caller waits only for chunks that a worker has already claimed: a worker that is not running
// (asleep, or descheduled on a busy machine) costs nothing, the caller simply does more chunks
// itself. That is the difference from an OpenMP parallel loop, whose join waits for every thread
// of the team. Idle workers spin for ~0.1 ms, then sleep on a condition variable.
// The team size follows omp_get_max_threads() (so --threads and omp_set_num_threads apply).
// Calls from inside a chunk, from an OpenMP parallel region, or while another thread's job runs
// are executed serially on the calling thread. Results never depend on which thread ran a chunk.
#pragma once

#include <cstdint>

namespace t2::tensor::fast {

using ChunkFn = void (*)(void* ctx, int64_t chunk);

// Runs fn(ctx, i) for i in [0, n_chunks).
void parallel_chunks_raw(int64_t n_chunks, ChunkFn fn, void* ctx);

// Same with any callable f(int64_t chunk).
template <typename F>
void parallel_chunks(int64_t n_chunks, const F& f) {
  parallel_chunks_raw(
      n_chunks, [](void* c, int64_t i) { (*static_cast<const F*>(c))(i); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

// Threads a parallel_chunks call may use now (1 inside a chunk or an OpenMP region).
int pool_threads();

}  // namespace t2::tensor::fast
