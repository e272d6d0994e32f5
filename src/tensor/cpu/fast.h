// Optimised CPU kernels, spread over the worker pool of cpu/thread_pool.h, each dispatching at run
// time to the variant of the current instruction-set level (cpu/isa.h: AMX, AVX512-BF16, AVX-512,
// AVX2 or plain loops). Same contracts as cpu/reference.h; tested against it in tests/tensor/ at
// every level the test machine has. No argument checks here (ops.cpp does them).
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace t2::tensor::fast {

// Multiply-adds below which a kernel runs on the calling thread alone: a parallel region costs a
// few µs on an idle machine and far more on a loaded one (a sleeping or descheduled worker), so
// only work of ~50 µs and more is split.
constexpr int64_t kParallelMinWork = int64_t(1) << 20;

void linear(const float* x, const void* w, DType w_dtype, float* y, int64_t n, int64_t m, int64_t k,
            bool accumulate);
// The kernel linear() runs at the current level for these sizes ("amx tiles", "avx512bf16 dot",
// "avx512 gemm", "avx2 dot", "generic dot", ...).
const char* linear_kernel_name(DType w_dtype, int64_t n, int64_t m, int64_t k);
void rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t d, float eps);
void rope(float* x, const int32_t* pos, const float* inv_freq, int64_t n, int64_t n_head,
          int64_t head_dim);
void silu_mul(const float* gate, const float* up, float* out, int64_t n);
void attention(const float* q, const float* k, const float* v, float* out, int64_t n_q,
               int64_t q_pos0, int64_t n_ctx, int64_t n_head, int64_t n_kv_head, int64_t head_dim,
               float scale);
// Keys transposed per KV head ([n_kv_head][head_dim][ldk]), values [n_kv_head][v_cap][head_dim]
// (the tensor::KvLayer layout), f32 or (bf16 = true) bf16; positions 0..q_pos0+n_q-1 are used,
// and key rows are read up to that count rounded up to 32, which ldk = kv_key_stride() covers.
void attention_cached(const float* q, const void* kt, const void* v, bool bf16, int64_t ldk,
                      int64_t v_cap, float* out, int64_t n_q, int64_t q_pos0, int64_t n_head,
                      int64_t n_kv_head, int64_t head_dim, float scale);
void log_softmax(const float* x, float* y, int64_t n, int64_t d);
void embedding(const void* table, DType dtype, const int32_t* ids, float* out, int64_t n, int64_t d);
void add(const float* a, const float* b, float* y, int64_t n);
uint64_t read_sum(const void* data, int64_t bytes);

}  // namespace t2::tensor::fast
