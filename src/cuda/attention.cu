// The key/value cache writes and causal GQA attention of a batch on the device. Every row of a
// batch (a decode token or one position of a prefill chunk) finds its sequence's cache through
// KvRows, so one launch serves a whole mixed batch. Attention: one block per (row, head); the
// query (pre-scaled) sits in shared memory, each warp scores keys (lanes split head_dim, coalesced
// reads of a key row), and an online softmax over tiles of kTile keys accumulates the values, each
// thread owning up to two output dimensions. Exact softmax (not an approximation); summation
// order differs from the CPU's, so results agree within rounding.
#include <cfloat>

#include "base/error.h"
#include "cuda/check.h"
#include "cuda/dtype.cuh"
#include "cuda/kernels.h"

namespace t2::cuda {

namespace {

constexpr int kThreads = 128;
constexpr int kTile = 256;
constexpr int kMaxHeadDim = 2 * kThreads;

// Element offset of (layer, side, kv head, position 0) in a sequence's storage.
__device__ __forceinline__ long long kv_offset(long long layer, int side, long long kvh,
                                               long long n_kv, long long cap, long long hd) {
  return ((layer * 2 + side) * n_kv + kvh) * cap * hd;
}

template <typename T>
__global__ void kv_store_kernel(KvRows rows, long long layer, const float* k, const float* v,
                                long long n_kv, long long hd) {
  const long long r = blockIdx.x;
  T* base = reinterpret_cast<T*>(rows.base[r]);
  const long long cap = rows.cap[r], pos = rows.pos[r];
  for (long long i = threadIdx.x; i < n_kv * hd; i += blockDim.x) {
    const long long h = i / hd, d = i % hd;
    store_f32(base + kv_offset(layer, 0, h, n_kv, cap, hd), pos * hd + d, k[r * n_kv * hd + i]);
    store_f32(base + kv_offset(layer, 1, h, n_kv, cap, hd), pos * hd + d, v[r * n_kv * hd + i]);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) attention_kernel(KvRows rows, long long layer,
                                                             const float* q, float* out,
                                                             long long n_head, long long n_kv,
                                                             long long hd, float scale) {
  __shared__ float qs[kMaxHeadDim];
  __shared__ float sc[kTile];
  __shared__ float scratch[32];
  const long long r = blockIdx.x, h = blockIdx.y;
  const long long pos = rows.pos[r], cap = rows.cap[r];
  const long long kvh = h / (n_head / n_kv);
  const T* base = reinterpret_cast<const T*>(rows.base[r]);
  const T* K = base + kv_offset(layer, 0, kvh, n_kv, cap, hd);
  const T* V = base + kv_offset(layer, 1, kvh, n_kv, cap, hd);
  const float* qr = q + (r * n_head + h) * hd;
  for (long long d = threadIdx.x; d < hd; d += blockDim.x) qs[d] = qr[d] * scale;
  __syncthreads();
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, n_warp = blockDim.x >> 5;
  float m = -FLT_MAX, l = 0.0f;
  float acc0 = 0.0f, acc1 = 0.0f;
  const long long d0 = threadIdx.x, d1 = threadIdx.x + blockDim.x;
  for (long long t0 = 0; t0 <= pos; t0 += kTile) {
    const int nt = static_cast<int>(min(static_cast<long long>(kTile), pos + 1 - t0));
    for (int j = warp; j < nt; j += n_warp) {
      const T* kr = K + (t0 + j) * hd;
      float dot = 0.0f;
      for (long long d = lane; d < hd; d += 32) dot += qs[d] * load_f32(kr, d);
      for (int o = 16; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
      if (lane == 0) sc[j] = dot;
    }
    __syncthreads();
    float tmax = -FLT_MAX;
    for (int j = threadIdx.x; j < nt; j += blockDim.x) tmax = fmaxf(tmax, sc[j]);
    tmax = block_reduce(tmax, scratch, MaxOp{});
    const float m_new = fmaxf(m, tmax);
    const float corr = expf(m - m_new);
    float tsum = 0.0f;
    for (int j = threadIdx.x; j < nt; j += blockDim.x) {
      const float p = expf(sc[j] - m_new);
      sc[j] = p;
      tsum += p;
    }
    tsum = block_reduce(tsum, scratch, SumOp{});  // its barriers also publish sc
    l = l * corr + tsum;
    acc0 *= corr;
    acc1 *= corr;
    for (int j = 0; j < nt; ++j) {
      const T* vr = V + (t0 + j) * hd;
      const float p = sc[j];
      if (d0 < hd) acc0 += p * load_f32(vr, d0);
      if (d1 < hd) acc1 += p * load_f32(vr, d1);
    }
    m = m_new;
    __syncthreads();  // sc is rewritten by the next tile
  }
  float* o = out + (r * n_head + h) * hd;
  if (d0 < hd) o[d0] = acc0 / l;
  if (d1 < hd) o[d1] = acc1 / l;
}

void check_kv_dtype(DType kv_dtype) {
  T2_CHECK(kv_dtype != DType::f16, "the device key/value cache holds f32 or bf16, not f16");
}

}  // namespace

void kv_store(const KvRows& rows, DType kv_dtype, int64_t layer, const float* k, const float* v,
              int64_t n, int64_t n_kv_head, int64_t head_dim, cudaStream_t stream) {
  if (n == 0) return;
  check_kv_dtype(kv_dtype);
  dispatch_dtype(kv_dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    kv_store_kernel<T><<<static_cast<unsigned>(n), 256, 0, stream>>>(rows, layer, k, v, n_kv_head,
                                                                     head_dim);
  });
  T2_CUDA_CHECK_LAUNCH();
}

void attention(const KvRows& rows, DType kv_dtype, int64_t layer, const float* q, float* out,
               int64_t n, int64_t n_head, int64_t n_kv_head, int64_t head_dim, float scale,
               cudaStream_t stream) {
  if (n == 0) return;
  check_kv_dtype(kv_dtype);
  T2_CHECK(head_dim <= kMaxHeadDim, "device attention supports head_dim up to %d, the model has "
           "%lld; run it with --device cpu", kMaxHeadDim, static_cast<long long>(head_dim));
  const dim3 grid(static_cast<unsigned>(n), static_cast<unsigned>(n_head));
  dispatch_dtype(kv_dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    attention_kernel<T><<<grid, kThreads, 0, stream>>>(rows, layer, q, out, n_head, n_kv_head,
                                                       head_dim, scale);
  });
  T2_CUDA_CHECK_LAUNCH();
}

}  // namespace t2::cuda
