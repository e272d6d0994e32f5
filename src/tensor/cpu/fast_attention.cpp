// Fast causal grouped-query attention of one sequence. The kernel reads keys transposed per KV
// head ([head_dim][ldk], the tensor::KvLayer layout the KV cache keeps) so that scores for 16 keys
// come from one vector FMA per query element; up to 8 query rows (the heads of a KV group, times
// neighbouring positions) share each pass over the keys. Per row: a max-subtracted softmax with the
// vector exp, then out = Σ p_t v_t / Σ p_t with the output row in registers. Tasks (row block, KV
// head) are spread over the kernel worker pool. attention() on row-major k/v transposes the visible context
// into that layout first; attention_cached() reads the cache as it is. head_dim up to 256 is
// supported; larger heads, and builds without AVX-512, use the reference kernel.
#include <algorithm>
#include <cmath>
#include <cstring>  // std::memcpy
#include <vector>

#include "tensor/cpu/fast.h"
#include "tensor/cpu/reference.h"
#include "tensor/cpu/thread_pool.h"
#if defined(__AVX512F__)
#include "tensor/cpu/simd_math.h"  // simd::exp, simd::hsum
#endif

namespace t2::tensor::fast {

#if defined(__AVX512F__)

namespace {

constexpr int kMaxRows = 8;  // query rows (heads × positions) sharing one pass over the keys

int64_t round16(int64_t v) { return (v + 15) / 16 * 16; }

__mmask16 lanes(int64_t count) {
  if (count <= 0) return 0;
  return count >= 16 ? __mmask16(0xffff) : __mmask16((1u << count) - 1u);
}

// kt[d][t] = k[t, kv head, d] for t < n_ctx, zero up to ldk: keys become contiguous per dimension.
// vc[t][d] = v[t, kv head, d]: the head's values without the other heads in between (cache rows of
// one head sit 2 KiB apart in Llama-3.2-1B, a stride that maps them all to a few L1 sets).
void repack_kv(const float* k, const float* v, int64_t n_ctx, int64_t kv_stride, int64_t head_dim,
               int64_t ldk, float* kt, float* vc) {
  for (int64_t t = 0; t < n_ctx; ++t) {
    for (int64_t d = 0; d < head_dim; ++d) kt[d * ldk + t] = k[t * kv_stride + d];
    std::memcpy(vc + t * head_dim, v + t * kv_stride, size_t(head_dim) * sizeof(float));
  }
  for (int64_t d = 0; d < head_dim; ++d)
    for (int64_t t = n_ctx; t < ldk; ++t) kt[d * ldk + t] = 0.0f;
}

// 16 consecutive cache elements as f32: f32 as is, bf16 widened (exact).
__m512 load16(const float* p) { return _mm512_loadu_ps(p); }
__m512 load16(const uint16_t* p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(
      _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))), 16));
}
__m512 maskz_load16(__mmask16 m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
__m512 maskz_load16(__mmask16 m, const uint16_t* p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}

// Rows of one KV head: their queries, outputs and number of visible keys.
struct Rows {
  const float* q[kMaxRows];
  float* o[kMaxRows];
  int64_t n_keys[kMaxRows];
};

// score[r][t] = scale · q_r · k_t for t < n_keys[r] (16 keys per step, one broadcast per query
// element); row_max[r] = max over those t.
template <int RB, typename T>
void scores(const Rows& rows, const T* kt, int64_t ldk, int64_t head_dim, float scale,
            float* score, int64_t lds, float* row_max) {
  int64_t n_max = 0;
  for (int r = 0; r < RB; ++r) n_max = std::max(n_max, rows.n_keys[r]);
  const __m512 vscale = _mm512_set1_ps(scale);
  __m512 vmax[RB];
  for (int r = 0; r < RB; ++r) vmax[r] = _mm512_set1_ps(-INFINITY);
  for (int64_t t0 = 0; t0 < n_max; t0 += 16) {
    __m512 acc[RB];
    for (int r = 0; r < RB; ++r) acc[r] = _mm512_setzero_ps();
    for (int64_t d = 0; d < head_dim; ++d) {
      __m512 kv = load16(kt + d * ldk + t0);
      for (int r = 0; r < RB; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(rows.q[r][d]), kv, acc[r]);
    }
    for (int r = 0; r < RB; ++r) {
      __mmask16 m = lanes(rows.n_keys[r] - t0);
      __m512 sv = _mm512_mask_mul_ps(_mm512_set1_ps(-INFINITY), m, acc[r], vscale);
      _mm512_storeu_ps(score + r * lds + t0, sv);
      vmax[r] = _mm512_max_ps(vmax[r], sv);
    }
  }
  for (int r = 0; r < RB; ++r) row_max[r] = _mm512_reduce_max_ps(vmax[r]);
}

// out = Σ_t softmax(score)_t · v_t over t < n_keys; head_dim in (16·(NV−1), 16·NV], `mask` covers
// the last vector. score is overwritten with the unnormalised weights.
template <int NV, typename T>
void softmax_pv(float* score, int64_t n_keys, float mx, const T* v, int64_t v_stride,
                __mmask16 mask, float* o) {
  const __m512 vmx = _mm512_set1_ps(mx);
  __m512 vsum = _mm512_setzero_ps();
  for (int64_t t = 0; t < n_keys; t += 16) {
    __mmask16 tm = lanes(n_keys - t);
    __m512 e = _mm512_maskz_mov_ps(tm, simd::exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(tm, score + t), vmx)));
    _mm512_mask_storeu_ps(score + t, tm, e);
    vsum = _mm512_add_ps(vsum, e);
  }
  // Two interleaved accumulator sets (even and odd keys) halve the FMA dependency chains.
  constexpr int kSets = NV <= 8 ? 2 : 1;
  __m512 acc[kSets][NV];
  for (int a = 0; a < kSets; ++a)
    for (int u = 0; u < NV; ++u) acc[a][u] = _mm512_setzero_ps();
  auto step = [&](int a, int64_t t) {
    const T* vt = v + t * v_stride;
    __m512 p = _mm512_set1_ps(score[t]);
    for (int u = 0; u < NV; ++u)
      acc[a][u] = _mm512_fmadd_ps(p, maskz_load16(u == NV - 1 ? mask : __mmask16(0xffff), vt + 16 * u), acc[a][u]);
  };
  int64_t t = 0;
  if constexpr (kSets == 2) {
    for (; t + 2 <= n_keys; t += 2) {
      step(0, t);
      step(1, t + 1);
    }
    for (int u = 0; u < NV; ++u) acc[0][u] = _mm512_add_ps(acc[0][u], acc[1][u]);
  }
  for (; t < n_keys; ++t) step(0, t);
  const __m512 vinv = _mm512_set1_ps(1.0f / simd::hsum(vsum));
  for (int u = 0; u < NV; ++u)
    _mm512_mask_storeu_ps(o + 16 * u, u == NV - 1 ? mask : __mmask16(0xffff), _mm512_mul_ps(acc[0][u], vinv));
}

// The same for NR rows at once (head_dim <= 64: NR · NV accumulators stay in registers): exps in
// place, zero past each row's n_keys, then one pass over the values shared by all rows, so each
// value row is loaded once per NR query rows instead of once per row.
template <int NV, int NR, typename T>
void softmax_pv_rows(float* score, int64_t lds, const int64_t* n_keys, const float* row_max,
                     const T* v, int64_t v_stride, __mmask16 mask, float* const* o) {
  int64_t n_max = 0;
  for (int r = 0; r < NR; ++r) n_max = std::max(n_max, n_keys[r]);
  float inv[NR];
  for (int r = 0; r < NR; ++r) {
    float* sr = score + r * lds;
    const __m512 vmx = _mm512_set1_ps(row_max[r]);
    __m512 vsum = _mm512_setzero_ps();
    for (int64_t t = 0; t < n_max; t += 16) {
      const __mmask16 tm = lanes(n_keys[r] - t);  // exps of visible keys, zeros past them
      __m512 e = _mm512_maskz_mov_ps(tm, simd::exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(tm, sr + t), vmx)));
      _mm512_mask_storeu_ps(sr + t, lanes(n_max - t), e);
      vsum = _mm512_add_ps(vsum, e);
    }
    inv[r] = 1.0f / simd::hsum(vsum);
  }
  __m512 acc[NR][NV];
  for (int r = 0; r < NR; ++r)
    for (int u = 0; u < NV; ++u) acc[r][u] = _mm512_setzero_ps();
  for (int64_t t = 0; t < n_max; ++t) {
    const T* vt = v + t * v_stride;
    __m512 vv[NV];
    for (int u = 0; u < NV; ++u)
      vv[u] = maskz_load16(u == NV - 1 ? mask : __mmask16(0xffff), vt + 16 * u);
    for (int r = 0; r < NR; ++r) {
      const __m512 p = _mm512_set1_ps(score[r * lds + t]);
      for (int u = 0; u < NV; ++u) acc[r][u] = _mm512_fmadd_ps(p, vv[u], acc[r][u]);
    }
  }
  for (int r = 0; r < NR; ++r) {
    const __m512 vinv = _mm512_set1_ps(inv[r]);
    for (int u = 0; u < NV; ++u)
      _mm512_mask_storeu_ps(o[r] + 16 * u, u == NV - 1 ? mask : __mmask16(0xffff), _mm512_mul_ps(acc[r][u], vinv));
  }
}

template <typename T>
using SoftmaxPvRowsFn = void (*)(float*, int64_t, const int64_t*, const float*, const T*, int64_t,
                                 __mmask16, float* const*);
// [NV − 1][NR − 1] for NV <= 4; rows per call at most kPvGroup[NV − 1] (registers).
constexpr int kPvGroup[4] = {8, 8, 5, 4};
template <typename T>
constexpr SoftmaxPvRowsFn<T> kSoftmaxPvRows[4][8] = {
    {softmax_pv_rows<1, 1, T>, softmax_pv_rows<1, 2, T>, softmax_pv_rows<1, 3, T>,
     softmax_pv_rows<1, 4, T>, softmax_pv_rows<1, 5, T>, softmax_pv_rows<1, 6, T>,
     softmax_pv_rows<1, 7, T>, softmax_pv_rows<1, 8, T>},
    {softmax_pv_rows<2, 1, T>, softmax_pv_rows<2, 2, T>, softmax_pv_rows<2, 3, T>,
     softmax_pv_rows<2, 4, T>, softmax_pv_rows<2, 5, T>, softmax_pv_rows<2, 6, T>,
     softmax_pv_rows<2, 7, T>, softmax_pv_rows<2, 8, T>},
    {softmax_pv_rows<3, 1, T>, softmax_pv_rows<3, 2, T>, softmax_pv_rows<3, 3, T>,
     softmax_pv_rows<3, 4, T>, softmax_pv_rows<3, 5, T>, nullptr, nullptr, nullptr},
    {softmax_pv_rows<4, 1, T>, softmax_pv_rows<4, 2, T>, softmax_pv_rows<4, 3, T>,
     softmax_pv_rows<4, 4, T>, nullptr, nullptr, nullptr, nullptr}};

template <typename T>
using ScoresFn = void (*)(const Rows&, const T*, int64_t, int64_t, float, float*, int64_t, float*);
template <typename T>
using SoftmaxPvFn = void (*)(float*, int64_t, float, const T*, int64_t, __mmask16, float*);

template <typename T>
constexpr ScoresFn<T> kScores[kMaxRows] = {scores<1, T>, scores<2, T>, scores<3, T>, scores<4, T>,
                                           scores<5, T>, scores<6, T>, scores<7, T>, scores<8, T>};
template <typename T>
constexpr SoftmaxPvFn<T> kSoftmaxPv[16] = {
    softmax_pv<1, T>,  softmax_pv<2, T>,  softmax_pv<3, T>,  softmax_pv<4, T>,
    softmax_pv<5, T>,  softmax_pv<6, T>,  softmax_pv<7, T>,  softmax_pv<8, T>,
    softmax_pv<9, T>,  softmax_pv<10, T>, softmax_pv<11, T>, softmax_pv<12, T>,
    softmax_pv<13, T>, softmax_pv<14, T>, softmax_pv<15, T>, softmax_pv<16, T>};

float to_f32(float x) { return x; }
float to_f32(uint16_t x) { return bf16_to_f32(x); }

// attention_cached for one cache element type.
template <typename T>
void attend(const float* q, const T* kt_all, const T* v_all, int64_t ldk, int64_t v_cap,
            float* out, int64_t n_q, int64_t q_pos0, int64_t n_head, int64_t n_kv_head,
            int64_t head_dim, float scale) {
  const int64_t n_vis = q_pos0 + n_q;  // keys any query can see
  if (head_dim > 256) {
    std::vector<float> k(size_t(n_vis * n_kv_head * head_dim)), v(k.size());
    for (int64_t kh = 0; kh < n_kv_head; ++kh)
      for (int64_t t = 0; t < n_vis; ++t)
        for (int64_t d = 0; d < head_dim; ++d) {
          k[size_t((t * n_kv_head + kh) * head_dim + d)] = to_f32(kt_all[(kh * head_dim + d) * ldk + t]);
          v[size_t((t * n_kv_head + kh) * head_dim + d)] = to_f32(v_all[(kh * v_cap + t) * head_dim + d]);
        }
    ref::attention(q, k.data(), v.data(), out, n_q, q_pos0, n_vis, n_head, n_kv_head, head_dim, scale);
    return;
  }
  const int nv = int((head_dim + 15) / 16);
  const __mmask16 mask = lanes(head_dim - 16 * (nv - 1));
  const SoftmaxPvFn<T> softmax_pv_fn = kSoftmaxPv<T>[nv - 1];
  const int64_t group = n_head / n_kv_head;
  // Rows of a task: `per_task` consecutive query positions × the `group` heads of one KV head.
  const int64_t per_task = std::max<int64_t>(1, kMaxRows / group);
  const int64_t n_blocks = (n_q + per_task - 1) / per_task;
  const int64_t work = n_q * n_head * n_vis * head_dim;
  const int64_t lds = round16(n_vis);  // row stride of the scores
  auto task = [&](int64_t t) {
    static thread_local std::vector<float> score_buf;
    if (score_buf.size() < size_t(kMaxRows * lds)) score_buf.resize(size_t(kMaxRows * lds));
    float* score = score_buf.data();
    float row_max[kMaxRows];
    const int64_t blk = t / n_kv_head, kh = t % n_kv_head;
    const T* kt = kt_all + kh * head_dim * ldk;
    const T* vc = v_all + kh * v_cap * head_dim;
    Rows rows;
    int nr = 0;
    auto flush = [&] {
      kScores<T>[nr - 1](rows, kt, ldk, head_dim, scale, score, lds, row_max);
      if (nv <= 4) {
        for (int r0 = 0; r0 < nr; r0 += kPvGroup[nv - 1]) {
          const int c = std::min(kPvGroup[nv - 1], nr - r0);
          kSoftmaxPvRows<T>[nv - 1][c - 1](score + r0 * lds, lds, rows.n_keys + r0, row_max + r0,
                                           vc, head_dim, mask, rows.o + r0);
        }
      } else {
        for (int r = 0; r < nr; ++r)
          softmax_pv_fn(score + r * lds, rows.n_keys[r], row_max[r], vc, head_dim, mask, rows.o[r]);
      }
      nr = 0;
    };
    for (int64_t i = blk * per_task; i < std::min(n_q, (blk + 1) * per_task); ++i)
      for (int64_t h = kh * group; h < (kh + 1) * group; ++h) {
        rows.q[nr] = q + (i * n_head + h) * head_dim;
        rows.o[nr] = out + (i * n_head + h) * head_dim;
        rows.n_keys[nr] = q_pos0 + i + 1;
        if (++nr == kMaxRows) flush();
      }
    if (nr > 0) flush();
  };
  const int64_t n_tasks = n_blocks * n_kv_head;
  if (work >= kParallelMinWork) {
    parallel_chunks(n_tasks, task);
  } else {
    for (int64_t t = 0; t < n_tasks; ++t) task(t);
  }
}

}  // namespace

void attention_cached(const float* q, const void* kt, const void* v, bool bf16, int64_t ldk,
                      int64_t v_cap, float* out, int64_t n_q, int64_t q_pos0, int64_t n_head,
                      int64_t n_kv_head, int64_t head_dim, float scale) {
  if (bf16)
    attend(q, static_cast<const uint16_t*>(kt), static_cast<const uint16_t*>(v), ldk, v_cap, out,
           n_q, q_pos0, n_head, n_kv_head, head_dim, scale);
  else
    attend(q, static_cast<const float*>(kt), static_cast<const float*>(v), ldk, v_cap, out, n_q,
           q_pos0, n_head, n_kv_head, head_dim, scale);
}

void attention(const float* q, const float* k, const float* v, float* out, int64_t n_q,
               int64_t q_pos0, int64_t n_ctx, int64_t n_head, int64_t n_kv_head, int64_t head_dim,
               float scale) {
  if (head_dim > 256) {
    ref::attention(q, k, v, out, n_q, q_pos0, n_ctx, n_head, n_kv_head, head_dim, scale);
    return;
  }
  // Rows in the cache layout first (one transposition of the visible context), then the kernel.
  const int64_t n_vis = q_pos0 + n_q;
  const int64_t ldk = round16(n_vis) + 16, kv_stride = n_kv_head * head_dim;
  static thread_local std::vector<float> kv_buf;
  kv_buf.resize(size_t(n_kv_head * head_dim * (ldk + n_vis)));
  float* kt_all = kv_buf.data();  // workers must use these pointers, not their own thread_local
  float* v_all = kt_all + n_kv_head * head_dim * ldk;
  auto repack = [&](int64_t kh) {
    repack_kv(k + kh * head_dim, v + kh * head_dim, n_vis, kv_stride, head_dim, ldk,
              kt_all + kh * head_dim * ldk, v_all + kh * n_vis * head_dim);
  };
  if (n_vis * kv_stride >= kParallelMinWork / 4) {
    parallel_chunks(n_kv_head, repack);
  } else {
    for (int64_t kh = 0; kh < n_kv_head; ++kh) repack(kh);
  }
  attend(q, static_cast<const float*>(kt_all), static_cast<const float*>(v_all), ldk, n_vis, out, n_q,
         q_pos0, n_head, n_kv_head, head_dim, scale);
}

#else  // portable build: the reference kernel is the fast path

void attention_cached(const float* q, const void* kt_all, const void* v_all, bool bf16, int64_t ldk,
                      int64_t v_cap, float* out, int64_t n_q, int64_t q_pos0, int64_t n_head,
                      int64_t n_kv_head, int64_t head_dim, float scale) {
  const int64_t n_vis = q_pos0 + n_q;
  auto get = [&](const void* base, int64_t i) {
    return bf16 ? bf16_to_f32(static_cast<const uint16_t*>(base)[i]) : static_cast<const float*>(base)[i];
  };
  std::vector<float> k(size_t(n_vis * n_kv_head * head_dim)), v(k.size());
  for (int64_t kh = 0; kh < n_kv_head; ++kh)
    for (int64_t t = 0; t < n_vis; ++t)
      for (int64_t d = 0; d < head_dim; ++d) {
        k[size_t((t * n_kv_head + kh) * head_dim + d)] = get(kt_all, (kh * head_dim + d) * ldk + t);
        v[size_t((t * n_kv_head + kh) * head_dim + d)] = get(v_all, (kh * v_cap + t) * head_dim + d);
      }
  ref::attention(q, k.data(), v.data(), out, n_q, q_pos0, n_vis, n_head, n_kv_head, head_dim, scale);
}

void attention(const float* q, const float* k, const float* v, float* out, int64_t n_q,
               int64_t q_pos0, int64_t n_ctx, int64_t n_head, int64_t n_kv_head, int64_t head_dim,
               float scale) {
  ref::attention(q, k, v, out, n_q, q_pos0, n_ctx, n_head, n_kv_head, head_dim, scale);
}

#endif

}  // namespace t2::tensor::fast
