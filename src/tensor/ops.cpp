// Op entry points: every argument check lives here, once; then a switch on the kernel level picks
// the reference or the fast CPU kernel. Kernels themselves trust their arguments.
#include "tensor/ops.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "base/error.h"
#include "tensor/cpu/fast.h"
#include "tensor/cpu/reference.h"

namespace t2::tensor {

namespace {

std::atomic<KernelLevel> g_level{KernelLevel::fast};

void check_sizes(const char* op, std::initializer_list<std::pair<const char*, int64_t>> sizes) {
  for (const auto& [name, value] : sizes)
    T2_CHECK(value >= 0, "%s: %s = %lld; sizes must be >= 0", op, name, static_cast<long long>(value));
}

void check_ptr(const char* op, const char* name, const void* p, int64_t count) {
  T2_CHECK(count == 0 || p != nullptr, "%s: %s is null but %lld elements were requested", op, name,
           static_cast<long long>(count));
}

// True when byte ranges [a, a+na) and [b, b+nb) overlap.
bool overlaps(const void* a, int64_t na, const void* b, int64_t nb) {
  if (na <= 0 || nb <= 0) return false;
  auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  return pa < pb + static_cast<uintptr_t>(nb) && pb < pa + static_cast<uintptr_t>(na);
}

void check_dtype(const char* op, DType dtype) {
  T2_CHECK(dtype == DType::f32 || dtype == DType::bf16 || dtype == DType::f16,
           "%s: unsupported dtype code %d (expected f32, bf16 or f16)", op, static_cast<int>(dtype));
}

}  // namespace

void set_kernel_level(KernelLevel level) { g_level.store(level); }
KernelLevel kernel_level() { return g_level.load(); }

const char* kernel_level_name(KernelLevel level) {
  return level == KernelLevel::reference ? "reference" : "fast";
}

void linear(const float* x, const void* w, DType w_dtype, float* y, int64_t n, int64_t m, int64_t k,
            bool accumulate) {
  check_sizes("linear", {{"n", n}, {"m", m}, {"k", k}});
  check_dtype("linear", w_dtype);
  check_ptr("linear", "x", x, n * k);
  check_ptr("linear", "w", w, m * k);
  check_ptr("linear", "y", y, n * m);
  T2_CHECK(!overlaps(x, n * k * 4, y, n * m * 4), "linear: output y[%lld, %lld] overlaps input x",
           static_cast<long long>(n), static_cast<long long>(m));
  if (n == 0 || m == 0) return;
  if (kernel_level() == KernelLevel::reference)
    ref::linear(x, w, w_dtype, y, n, m, k, accumulate);
  else
    fast::linear(x, w, w_dtype, y, n, m, k, accumulate);
}

const char* linear_kernel_name(DType w_dtype, int64_t n, int64_t m, int64_t k) {
  check_sizes("linear_kernel_name", {{"n", n}, {"m", m}, {"k", k}});
  check_dtype("linear_kernel_name", w_dtype);
  if (kernel_level() == KernelLevel::reference) return "reference";
  return fast::linear_kernel_name(w_dtype, n, m, k);
}

void rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t d, float eps) {
  check_sizes("rms_norm", {{"n", n}, {"d", d}});
  check_ptr("rms_norm", "x", x, n * d);
  check_ptr("rms_norm", "weight", weight, n > 0 ? d : 0);
  check_ptr("rms_norm", "y", y, n * d);
  T2_CHECK(eps >= 0.0f, "rms_norm: eps = %g; expected a non-negative epsilon", double(eps));
  if (n == 0 || d == 0) return;
  if (kernel_level() == KernelLevel::reference)
    ref::rms_norm(x, weight, y, n, d, eps);
  else
    fast::rms_norm(x, weight, y, n, d, eps);
}

void rope(float* x, const int32_t* pos, const float* inv_freq, int64_t n, int64_t n_head,
          int64_t head_dim) {
  check_sizes("rope", {{"n", n}, {"n_head", n_head}, {"head_dim", head_dim}});
  T2_CHECK(head_dim % 2 == 0, "rope: head_dim = %lld; expected an even head dimension",
           static_cast<long long>(head_dim));
  check_ptr("rope", "x", x, n * n_head * head_dim);
  check_ptr("rope", "pos", pos, n);
  check_ptr("rope", "inv_freq", inv_freq, n > 0 ? head_dim / 2 : 0);
  if (n == 0 || n_head == 0 || head_dim == 0) return;
  if (kernel_level() == KernelLevel::reference)
    ref::rope(x, pos, inv_freq, n, n_head, head_dim);
  else
    fast::rope(x, pos, inv_freq, n, n_head, head_dim);
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  check_sizes("silu_mul", {{"n", n}});
  check_ptr("silu_mul", "gate", gate, n);
  check_ptr("silu_mul", "up", up, n);
  check_ptr("silu_mul", "out", out, n);
  if (n == 0) return;
  if (kernel_level() == KernelLevel::reference)
    ref::silu_mul(gate, up, out, n);
  else
    fast::silu_mul(gate, up, out, n);
}

void attention(const float* q, const float* k, const float* v, float* out, int64_t n_q,
               int64_t q_pos0, int64_t n_ctx, int64_t n_head, int64_t n_kv_head, int64_t head_dim,
               float scale) {
  check_sizes("attention", {{"n_q", n_q}, {"q_pos0", q_pos0}, {"n_ctx", n_ctx}, {"n_head", n_head},
                            {"n_kv_head", n_kv_head}, {"head_dim", head_dim}});
  T2_CHECK(n_kv_head > 0 && n_head % n_kv_head == 0,
           "attention: n_head = %lld is not a multiple of n_kv_head = %lld",
           static_cast<long long>(n_head), static_cast<long long>(n_kv_head));
  T2_CHECK(n_ctx >= q_pos0 + n_q,
           "attention: queries cover positions %lld..%lld but the cache holds only %lld positions",
           static_cast<long long>(q_pos0), static_cast<long long>(q_pos0 + n_q - 1),
           static_cast<long long>(n_ctx));
  int64_t nq = n_q * n_head * head_dim, nkv = n_ctx * n_kv_head * head_dim;
  check_ptr("attention", "q", q, nq);
  check_ptr("attention", "k", k, nkv);
  check_ptr("attention", "v", v, nkv);
  check_ptr("attention", "out", out, nq);
  T2_CHECK(!overlaps(out, nq * 4, q, nq * 4) && !overlaps(out, nq * 4, k, nkv * 4) &&
               !overlaps(out, nq * 4, v, nkv * 4),
           "attention: out must not overlap q, k or v");
  if (nq == 0) return;
  if (kernel_level() == KernelLevel::reference)
    ref::attention(q, k, v, out, n_q, q_pos0, n_ctx, n_head, n_kv_head, head_dim, scale);
  else
    fast::attention(q, k, v, out, n_q, q_pos0, n_ctx, n_head, n_kv_head, head_dim, scale);
}

int64_t kv_key_stride(int64_t capacity) {
  T2_CHECK(capacity >= 0, "kv_key_stride: capacity = %lld; must be >= 0",
           static_cast<long long>(capacity));
  return (capacity + 15) / 16 * 16 + 16;
}

int64_t kv_layer_elements(int64_t capacity, int64_t n_kv_head, int64_t head_dim) {
  check_sizes("kv_layer_elements", {{"n_kv_head", n_kv_head}, {"head_dim", head_dim}});
  return n_kv_head * head_dim * std::max(kv_key_stride(capacity), capacity);
}

namespace {

void check_kv_layer(const char* op, const KvLayer& c, int64_t n_pos, int64_t n_kv_head,
                    int64_t head_dim) {
  T2_CHECK(c.dtype == DType::f32 || c.dtype == DType::bf16,
           "%s: cache layer dtype %s is not supported (f32 or bf16)", op, dtype_name(c.dtype));
  T2_CHECK(c.ld == kv_key_stride(c.capacity),
           "%s: cache layer has ld = %lld, expected kv_key_stride(%lld) = %lld", op,
           static_cast<long long>(c.ld), static_cast<long long>(c.capacity),
           static_cast<long long>(kv_key_stride(c.capacity)));
  T2_CHECK(n_pos <= c.capacity, "%s: positions up to %lld requested but the cache layer holds %lld",
           op, static_cast<long long>(n_pos), static_cast<long long>(c.capacity));
  check_ptr(op, "cache k", c.k, n_pos * n_kv_head * head_dim);
  check_ptr(op, "cache v", c.v, n_pos * n_kv_head * head_dim);
}

// Element i of a cache side as f32, and the inverse.
float kv_get(const KvLayer& c, const void* base, int64_t i) {
  return c.dtype == DType::bf16 ? bf16_to_f32(static_cast<const uint16_t*>(base)[i])
                                : static_cast<const float*>(base)[i];
}
void kv_set(const KvLayer& c, void* base, int64_t i, float x) {
  if (c.dtype == DType::bf16)
    static_cast<uint16_t*>(base)[i] = f32_to_bf16(x);
  else
    static_cast<float*>(base)[i] = x;
}

}  // namespace

void kv_store(const KvLayer& cache, const float* k, const float* v, int64_t n, int64_t pos0,
              int64_t n_kv_head, int64_t head_dim) {
  check_sizes("kv_store", {{"n", n}, {"pos0", pos0}, {"n_kv_head", n_kv_head}, {"head_dim", head_dim}});
  check_kv_layer("kv_store", cache, pos0 + n, n_kv_head, head_dim);
  check_ptr("kv_store", "k", k, n * n_kv_head * head_dim);
  check_ptr("kv_store", "v", v, n * n_kv_head * head_dim);
  for (int64_t h = 0; h < n_kv_head; ++h)
    for (int64_t i = 0; i < n; ++i) {
      const float* kr = k + (i * n_kv_head + h) * head_dim;
      const float* vr = v + (i * n_kv_head + h) * head_dim;
      for (int64_t d = 0; d < head_dim; ++d) {
        kv_set(cache, cache.k, (h * head_dim + d) * cache.ld + pos0 + i, kr[d]);
        kv_set(cache, cache.v, (h * cache.capacity + pos0 + i) * head_dim + d, vr[d]);
      }
    }
}

void kv_load(const KvLayer& cache, float* k, float* v, int64_t n, int64_t n_kv_head,
             int64_t head_dim) {
  check_sizes("kv_load", {{"n", n}, {"n_kv_head", n_kv_head}, {"head_dim", head_dim}});
  check_kv_layer("kv_load", cache, n, n_kv_head, head_dim);
  check_ptr("kv_load", "k", k, n * n_kv_head * head_dim);
  check_ptr("kv_load", "v", v, n * n_kv_head * head_dim);
  for (int64_t h = 0; h < n_kv_head; ++h)
    for (int64_t i = 0; i < n; ++i) {
      float* kr = k + (i * n_kv_head + h) * head_dim;
      float* vr = v + (i * n_kv_head + h) * head_dim;
      for (int64_t d = 0; d < head_dim; ++d) {
        kr[d] = kv_get(cache, cache.k, (h * head_dim + d) * cache.ld + i);
        vr[d] = kv_get(cache, cache.v, (h * cache.capacity + i) * head_dim + d);
      }
    }
}

void attention_cached(const float* q, const KvLayer& cache, float* out, int64_t n_q,
                      int64_t q_pos0, int64_t n_head, int64_t n_kv_head, int64_t head_dim,
                      float scale) {
  check_sizes("attention_cached", {{"n_q", n_q}, {"q_pos0", q_pos0}, {"n_head", n_head},
                                   {"n_kv_head", n_kv_head}, {"head_dim", head_dim}});
  T2_CHECK(n_kv_head > 0 && n_head % n_kv_head == 0,
           "attention_cached: n_head = %lld is not a multiple of n_kv_head = %lld",
           static_cast<long long>(n_head), static_cast<long long>(n_kv_head));
  const int64_t n_ctx = q_pos0 + n_q;
  check_kv_layer("attention_cached", cache, n_ctx, n_kv_head, head_dim);
  const int64_t nq = n_q * n_head * head_dim;
  check_ptr("attention_cached", "q", q, nq);
  check_ptr("attention_cached", "out", out, nq);
  const int64_t side = kv_layer_elements(cache.capacity, n_kv_head, head_dim) *
                       static_cast<int64_t>(dtype_size(cache.dtype));
  T2_CHECK(!overlaps(out, nq * 4, q, nq * 4) && !overlaps(out, nq * 4, cache.k, side) &&
               !overlaps(out, nq * 4, cache.v, side),
           "attention_cached: out must not overlap q or the cache");
  if (nq == 0) return;
  if (kernel_level() == KernelLevel::reference) {
    std::vector<float> k(static_cast<size_t>(n_ctx * n_kv_head * head_dim)), v(k.size());
    kv_load(cache, k.data(), v.data(), n_ctx, n_kv_head, head_dim);
    ref::attention(q, k.data(), v.data(), out, n_q, q_pos0, n_ctx, n_head, n_kv_head, head_dim, scale);
  } else {
    fast::attention_cached(q, cache.k, cache.v, cache.dtype == DType::bf16, cache.ld,
                           cache.capacity, out, n_q, q_pos0, n_head, n_kv_head, head_dim, scale);
  }
}

void log_softmax(const float* x, float* y, int64_t n, int64_t d) {
  check_sizes("log_softmax", {{"n", n}, {"d", d}});
  T2_CHECK(n == 0 || d > 0, "log_softmax: rows of length 0 have no distribution (n = %lld)",
           static_cast<long long>(n));
  check_ptr("log_softmax", "x", x, n * d);
  check_ptr("log_softmax", "y", y, n * d);
  if (n == 0) return;
  if (kernel_level() == KernelLevel::reference)
    ref::log_softmax(x, y, n, d);
  else
    fast::log_softmax(x, y, n, d);
}

void embedding(const void* table, DType dtype, int64_t n_vocab, const int32_t* ids, float* out,
               int64_t n, int64_t d) {
  check_sizes("embedding", {{"n_vocab", n_vocab}, {"n", n}, {"d", d}});
  check_dtype("embedding", dtype);
  check_ptr("embedding", "table", table, n_vocab * d);
  check_ptr("embedding", "ids", ids, n);
  check_ptr("embedding", "out", out, n * d);
  for (int64_t i = 0; i < n; ++i)
    T2_CHECK(ids[i] >= 0 && ids[i] < n_vocab,
             "embedding: token id %d at position %lld is outside the vocabulary [0, %lld)", ids[i],
             static_cast<long long>(i), static_cast<long long>(n_vocab));
  if (n == 0 || d == 0) return;
  if (kernel_level() == KernelLevel::reference)
    ref::embedding(table, dtype, ids, out, n, d);
  else
    fast::embedding(table, dtype, ids, out, n, d);
}

void add(const float* a, const float* b, float* y, int64_t n) {
  check_sizes("add", {{"n", n}});
  check_ptr("add", "a", a, n);
  check_ptr("add", "b", b, n);
  check_ptr("add", "y", y, n);
  if (n == 0) return;
  if (kernel_level() == KernelLevel::reference)
    ref::add(a, b, y, n);
  else
    fast::add(a, b, y, n);
}

uint64_t read_sum(const void* data, int64_t bytes) {
  check_sizes("read_sum", {{"bytes", bytes}});
  T2_CHECK(bytes % 8 == 0, "read_sum: bytes = %lld is not a multiple of 8", static_cast<long long>(bytes));
  check_ptr("read_sum", "data", data, bytes);
  return bytes == 0 ? 0 : fast::read_sum(data, bytes);
}

}  // namespace t2::tensor
