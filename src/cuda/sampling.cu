// Token selection on the device, so that only token ids and log-probabilities cross PCIe per
// step: greedy argmax (first index on ties), log p of given tokens (f64 sums), and temperature +
// top-p sampling with a host-drawn uniform per row. One block of kBlock threads per row.
// Nucleus: bisection on the probability threshold finds the most likely tokens holding top_p of
// the mass; those (at most kMaxNucleus) are sorted in shared memory by (probability desc, index
// asc) — model::sample_token's order — and walked with the uniform draw.
#include <cfloat>

#include "cuda/check.h"
#include "cuda/dtype.cuh"
#include "cuda/kernels.h"

namespace t2::cuda {

namespace {

constexpr int kBlock = 1024;

struct ArgBest {
  float v;
  int i;
};

__device__ __forceinline__ ArgBest better(ArgBest a, ArgBest b) {
  // larger value wins; on equal values the smaller index (NaN never wins against a number).
  if (b.v > a.v || (b.v == a.v && b.i < a.i)) return b;
  return a;
}

__device__ ArgBest block_argmax(const float* x, long long n) {
  __shared__ float sv[32];
  __shared__ int si[32];
  ArgBest best{-FLT_MAX, 0x7fffffff};
  for (long long i = threadIdx.x; i < n; i += blockDim.x) best = better(best, {x[i], static_cast<int>(i)});
  if (best.i == 0x7fffffff) best.i = 0;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, n_warp = blockDim.x >> 5;
  for (int o = 16; o > 0; o >>= 1)
    best = better(best, {__shfl_xor_sync(0xffffffffu, best.v, o), __shfl_xor_sync(0xffffffffu, best.i, o)});
  __syncthreads();
  if (lane == 0) { sv[warp] = best.v; si[warp] = best.i; }
  __syncthreads();
  best = lane < n_warp ? ArgBest{sv[lane], si[lane]} : ArgBest{sv[0], si[0]};
  for (int o = 16; o > 0; o >>= 1)
    best = better(best, {__shfl_xor_sync(0xffffffffu, best.v, o), __shfl_xor_sync(0xffffffffu, best.i, o)});
  return best;
}

__global__ void argmax_kernel(const float* logits, long long n_vocab, int32_t* out) {
  const ArgBest b = block_argmax(logits + blockIdx.x * n_vocab, n_vocab);
  if (threadIdx.x == 0) out[blockIdx.x] = b.i;
}

__global__ void logprob_kernel(const float* logits, long long n_vocab, const int32_t* token, float* out) {
  __shared__ float fs[32];
  __shared__ double ds[32];
  const float* x = logits + blockIdx.x * n_vocab;
  float mx = -FLT_MAX;
  for (long long i = threadIdx.x; i < n_vocab; i += blockDim.x) mx = fmaxf(mx, x[i]);
  mx = block_reduce(mx, fs, MaxOp{});
  double sum = 0.0;
  for (long long i = threadIdx.x; i < n_vocab; i += blockDim.x) sum += exp(static_cast<double>(x[i] - mx));
  sum = block_reduce(sum, ds, SumOp{});
  if (threadIdx.x == 0)
    out[blockIdx.x] = static_cast<float>(static_cast<double>(x[token[blockIdx.x]] - mx) - log(sum));
}

__global__ void sample_kernel(const float* logits, long long n_vocab, const float* temperature,
                              const float* top_p, const double* u, int32_t* out) {
  __shared__ double ds[32];
  __shared__ float cand_p[kMaxNucleus];
  __shared__ int cand_i[kMaxNucleus];
  __shared__ int n_cand;
  const long long row = blockIdx.x;
  const float* x = logits + row * n_vocab;
  const ArgBest best = block_argmax(x, n_vocab);
  const float temp = temperature[row];
  if (temp <= 0.0f) {
    if (threadIdx.x == 0) out[row] = best.i;
    return;
  }
  const float inv_t = 1.0f / temp, mx = best.v;
  auto prob = [&](long long i) { return expf((x[i] - mx) * inv_t); };
  double total = 0.0;
  for (long long i = threadIdx.x; i < n_vocab; i += blockDim.x) total += prob(i);
  total = block_reduce(total, ds, SumOp{});
  const float tp = top_p[row];
  if (tp >= 1.0f) {
    // Inverse CDF in index order: each thread owns a contiguous range; an exclusive scan of the
    // range sums finds the range holding the draw, whose thread walks it.
    const long long chunk = (n_vocab + blockDim.x - 1) / blockDim.x;
    const long long lo = threadIdx.x * chunk, hi = min(n_vocab, lo + chunk);
    double mine = 0.0;
    for (long long i = lo; i < hi; ++i) mine += prob(i);
    __shared__ double prefix[kBlock];
    prefix[threadIdx.x] = mine;
    __syncthreads();
    if (threadIdx.x == 0) {
      double run = 0.0;
      for (int t = 0; t < static_cast<int>(blockDim.x); ++t) {
        const double s = prefix[t];
        prefix[t] = run;
        run += s;
      }
    }
    __syncthreads();
    const double target = u[row] * total;
    if (lo < hi && target >= prefix[threadIdx.x] && target < prefix[threadIdx.x] + mine) {
      double rest = target - prefix[threadIdx.x];
      long long pick = hi - 1;
      for (long long i = lo; i < hi; ++i) {
        rest -= prob(i);
        if (rest < 0) { pick = i; break; }
      }
      out[row] = static_cast<int32_t>(pick);
    }
    if (threadIdx.x == 0 && target >= total) out[row] = static_cast<int32_t>(n_vocab - 1);
    return;
  }
  // Largest threshold tau whose tokens {p >= tau} hold at least top_p of the mass.
  const double target = tp * total;
  float lo_t = 0.0f, hi_t = 1.0f;  // mass(p >= lo_t) >= target always; p(max) = 1
  for (int it = 0; it < 40; ++it) {
    const float mid = 0.5f * (lo_t + hi_t);
    double mass = 0.0;
    for (long long i = threadIdx.x; i < n_vocab; i += blockDim.x) {
      const float p = prob(i);
      if (p >= mid) mass += p;
    }
    mass = block_reduce(mass, ds, SumOp{});
    if (mass >= target) lo_t = mid; else hi_t = mid;
  }
  if (threadIdx.x == 0) n_cand = 0;
  __syncthreads();
  for (long long i = threadIdx.x; i < n_vocab; i += blockDim.x) {
    const float p = prob(i);
    if (p >= lo_t) {
      const int slot = atomicAdd(&n_cand, 1);
      if (slot < kMaxNucleus) { cand_p[slot] = p; cand_i[slot] = static_cast<int>(i); }
    }
  }
  __syncthreads();
  const int nc = n_cand;
  if (nc > kMaxNucleus) {
    if (threadIdx.x == 0) out[row] = -1;  // the host samples this row
    return;
  }
  // Bitonic sort of the candidates, padded to a power of two with (−1, max index) sentinels.
  int size = 1;
  while (size < nc) size <<= 1;
  for (int i = nc + threadIdx.x; i < size; i += blockDim.x) { cand_p[i] = -1.0f; cand_i[i] = 0x7fffffff; }
  __syncthreads();
  for (int k = 2; k <= size; k <<= 1) {
    for (int j = k >> 1; j > 0; j >>= 1) {
      for (int i = threadIdx.x; i < size; i += blockDim.x) {
        const int p = i ^ j;
        if (p > i) {
          const bool a_first = cand_p[i] > cand_p[p] || (cand_p[i] == cand_p[p] && cand_i[i] < cand_i[p]);
          const bool ascending = (i & k) == 0;  // "ascending" = most likely first
          if (a_first != ascending) {
            const float tpv = cand_p[i]; cand_p[i] = cand_p[p]; cand_p[p] = tpv;
            const int ti = cand_i[i]; cand_i[i] = cand_i[p]; cand_i[p] = ti;
          }
        }
      }
      __syncthreads();
    }
  }
  if (threadIdx.x == 0) {
    double kept = 0.0;
    int n_keep = 0;
    while (n_keep < nc && kept < target) kept += cand_p[n_keep++];
    double rest = u[row] * kept;
    int pick = cand_i[n_keep - 1];
    for (int i = 0; i < n_keep; ++i) {
      rest -= cand_p[i];
      if (rest < 0) { pick = cand_i[i]; break; }
    }
    out[row] = pick;
  }
}

}  // namespace

void argmax_rows(const float* logits, int64_t n, int64_t n_vocab, int32_t* out, cudaStream_t stream) {
  if (n == 0) return;
  argmax_kernel<<<static_cast<unsigned>(n), kBlock, 0, stream>>>(logits, n_vocab, out);
  T2_CUDA_CHECK_LAUNCH();
}

void token_logprobs(const float* logits, int64_t n, int64_t n_vocab, const int32_t* token,
                    float* out, cudaStream_t stream) {
  if (n == 0) return;
  logprob_kernel<<<static_cast<unsigned>(n), kBlock, 0, stream>>>(logits, n_vocab, token, out);
  T2_CUDA_CHECK_LAUNCH();
}

void sample_rows(const float* logits, int64_t n, int64_t n_vocab, const float* temperature,
                 const float* top_p, const double* u, int32_t* out, cudaStream_t stream) {
  if (n == 0) return;
  sample_kernel<<<static_cast<unsigned>(n), kBlock, 0, stream>>>(logits, n_vocab, temperature,
                                                                 top_p, u, out);
  T2_CUDA_CHECK_LAUNCH();
}

}  // namespace t2::cuda
