// Op entry points of the engine's forward pass: argument checks, then dispatch on the kernel level
// to the plain-loop reference kernels (cpu/reference.*) or the optimised CPU kernels (cpu/fast_*),
// which run at the instruction-set level of cpu/isa.h (CpuIsa: chosen at run time, forcible).
// Activations are f32; weights may be f32, bf16 or f16. Shapes are given in brackets in memory
// order. The entry functions are thread-safe. Fast kernels share one worker pool
// (cpu/thread_pool.h) whose team size follows omp_get_max_threads(); a call made while another
// thread's call holds the pool, or from inside an OpenMP region, runs on the calling thread alone.
#pragma once

#include <cstdint>

#include "tensor/cpu/isa.h"          // CpuIsa, cpu_isa, set_cpu_isa
#include "tensor/cpu/thread_pool.h"  // fast::parallel_chunks
#include "tensor/dtype.h"

namespace t2::tensor {

enum class KernelLevel { reference, fast };

// f(i) for i in [0, n) on the fast kernels' worker pool, each i on one thread (callers' own
// per-item loops, e.g. attention per sequence; see cpu/thread_pool.h for the waiting rules).
template <typename F>
void parallel_for(int64_t n, const F& f) {
  fast::parallel_chunks(n, f);
}

// Process-wide kernel level (default fast). The reference level is the readable truth that the
// fast kernels are tested against.
void set_kernel_level(KernelLevel level);
KernelLevel kernel_level();
const char* kernel_level_name(KernelLevel level);

// y[n, m] = x[n, k] · W[m, k]ᵀ (+= when accumulate). W row-major [out, in] = nn.Linear.weight.
// Fast bf16 path: x is rounded to bf16 and products are summed in f32, so the error vs the reference
// is within 2^-8 · Σ|x·w| (see docs/tensor.md); the f32 and f16 paths multiply in f32 and agree to
// ~1e-5 · Σ|x·w|. Cost: one pass over W for n ≤ 6 (decode); AMX / GEMM tiles for larger n.
void linear(const float* x, const void* w, DType w_dtype, float* y, int64_t n, int64_t m, int64_t k,
            bool accumulate = false);
// The kernel linear() would run now for these sizes: "reference" at the reference level, else the
// fast kernel of the current CPU level ("amx tiles", "avx512bf16 dot", "avx512 gemm", "avx2 dot",
// "generic dot", ...). For benchmarks and reports.
const char* linear_kernel_name(DType w_dtype, int64_t n, int64_t m, int64_t k);

// y[n, d] = x * rsqrt(mean(x²) + eps) * weight[d]   (y may alias x)
void rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t d, float eps);

// In place, Hugging Face "rotate_half" layout: x[n, n_head, head_dim]; pos[n]; inv_freq[head_dim/2].
// x1' = x1 cos − x2 sin, x2' = x2 cos + x1 sin, angle = pos · inv_freq (x1 first half, x2 second).
void rope(float* x, const int32_t* pos, const float* inv_freq, int64_t n, int64_t n_head,
          int64_t head_dim);

// out[i] = silu(gate[i]) * up[i]   (out may alias gate or up)
void silu_mul(const float* gate, const float* up, float* out, int64_t n);

// Causal attention of ONE sequence: q[n_q, n_head, head_dim] holds positions q_pos0..q_pos0+n_q-1;
// k, v[n_ctx, n_kv_head, head_dim] hold positions 0..n_ctx-1 (n_ctx >= q_pos0 + n_q); the query at
// position p attends to keys 0..p. Grouped-query: head h uses kv head h / (n_head / n_kv_head).
// out[n_q, n_head, head_dim] must not alias q, k or v.
void attention(const float* q, const float* k, const float* v, float* out, int64_t n_q,
               int64_t q_pos0, int64_t n_ctx, int64_t n_head, int64_t n_kv_head, int64_t head_dim,
               float scale);

// One layer of one sequence's key/value cache in the layout the attention kernel reads directly,
// so that a decode step never repacks the context. For KV head h and position t < capacity:
//   key   k[(h · head_dim + d) · ld + t]       (transposed: 16 positions of one dimension per vector)
//   value v[(h · capacity + t) · head_dim + d] (row-major per head)
// ld = kv_key_stride(capacity). Elements are f32 or bf16 (`dtype`; bf16 halves the bytes a decode
// step reads, with keys and values rounded to nearest even when stored). Storage is owned by the
// caller: kv_layer_elements() elements of dtype per side.
struct KvLayer {
  void* k = nullptr;
  void* v = nullptr;
  int64_t capacity = 0;
  int64_t ld = 0;
  DType dtype = DType::f32;
};

// Row stride of the transposed keys: capacity rounded up to 16, plus 16 so that it is never a
// multiple of 4 KiB (rows at such strides share L1 sets).
int64_t kv_key_stride(int64_t capacity);
// Elements of one side (k or v) of a KvLayer: n_kv_head · head_dim · max(ld, capacity).
int64_t kv_layer_elements(int64_t capacity, int64_t n_kv_head, int64_t head_dim);

// Stores positions pos0..pos0+n-1 from k, v[n, n_kv_head, head_dim] into the cache layer
// (pos0 + n <= capacity), converted to the layer's dtype.
void kv_store(const KvLayer& cache, const float* k, const float* v, int64_t n, int64_t pos0,
              int64_t n_kv_head, int64_t head_dim);
// The inverse: positions 0..n-1 of the layer into k, v[n, n_kv_head, head_dim].
void kv_load(const KvLayer& cache, float* k, float* v, int64_t n, int64_t n_kv_head,
             int64_t head_dim);

// attention() with keys and values read from a cache layer holding positions 0..q_pos0+n_q-1.
// Same result as attention() on the kv_load()ed rows (the reference level does exactly that; for
// an f32 layer the fast level is bit-identical to the fast attention()).
void attention_cached(const float* q, const KvLayer& cache, float* out, int64_t n_q,
                      int64_t q_pos0, int64_t n_head, int64_t n_kv_head, int64_t head_dim,
                      float scale);

// Row-wise: y[n, d] = x − logsumexp(x)   (y may alias x)
void log_softmax(const float* x, float* y, int64_t n, int64_t d);

// out[n, d] = table[ids[i], :] converted to f32; table[n_vocab, d]; every id must be in
// [0, n_vocab), otherwise t2::Error names the offending position and id.
void embedding(const void* table, DType dtype, int64_t n_vocab, const int32_t* ids, float* out,
               int64_t n, int64_t d);

// y = a + b over n elements (y may alias a or b)
void add(const float* a, const float* b, float* y, int64_t n);

// Σ of the 64-bit words of data[bytes] (mod 2^64; bytes a multiple of 8), read with vector loads and
// independent accumulators on the kernels' worker pool: the memory-read probe that `t2 bench` times
// over the model's weights to state the memory bound of decode. (A scalar summation loop measures
// its add chain, not the memory.) Any kernel level; the result does not depend on it.
uint64_t read_sum(const void* data, int64_t bytes);

}  // namespace t2::tensor
