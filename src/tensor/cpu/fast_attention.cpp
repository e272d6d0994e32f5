// Fast causal grouped-query attention of one sequence. One task = (query row, head); tasks are
// spread over OpenMP threads with consecutive heads of a KV group on the same thread so the
// group's K/V rows stay in cache. Per task: scores q·k over the visible keys (AVX-512 dot products),
// a max-subtracted softmax with a vector exp, then out = Σ p_t v_t / Σ p_t. head_dim up to 256 is
// kept in registers; larger heads, and builds without AVX-512, use the reference kernel.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/cpu/fast.h"
#include "tensor/cpu/reference.h"
#if defined(__AVX512F__)
#include "tensor/cpu/simd_math.h"  // simd::exp, simd::hsum
#endif

namespace t2::tensor::fast {

#if defined(__AVX512F__)

namespace {

// One (query, head) with head_dim in (16·(NV−1), 16·NV]; `mask` covers the last vector.
template <int NV>
void attend_one(const float* qv, const float* k, const float* v, float* o, int64_t n_keys,
                int64_t kv_stride, __mmask16 mask, float scale, float* score) {
  __m512 q[NV];
  for (int u = 0; u < NV; ++u)
    q[u] = _mm512_maskz_loadu_ps(u == NV - 1 ? mask : __mmask16(0xffff), qv + 16 * u);
  float mx = -INFINITY;
  for (int64_t t = 0; t < n_keys; ++t) {
    const float* kt = k + t * kv_stride;
    __m512 acc = _mm512_mul_ps(q[0], _mm512_maskz_loadu_ps(NV == 1 ? mask : __mmask16(0xffff), kt));
    for (int u = 1; u < NV; ++u)
      acc = _mm512_fmadd_ps(q[u], _mm512_maskz_loadu_ps(u == NV - 1 ? mask : __mmask16(0xffff), kt + 16 * u), acc);
    float s = simd::hsum(acc) * scale;
    score[t] = s;
    mx = std::max(mx, s);
  }
  // Softmax weights in place; the sum in 16 lanes.
  const __m512 vmx = _mm512_set1_ps(mx);
  __m512 vsum = _mm512_setzero_ps();
  int64_t t = 0;
  for (; t + 16 <= n_keys; t += 16) {
    __m512 e = simd::exp(_mm512_sub_ps(_mm512_loadu_ps(score + t), vmx));
    _mm512_storeu_ps(score + t, e);
    vsum = _mm512_add_ps(vsum, e);
  }
  if (t < n_keys) {
    __mmask16 tm = __mmask16((1u << (n_keys - t)) - 1u);
    __m512 e = simd::exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(tm, score + t), vmx));
    e = _mm512_maskz_mov_ps(tm, e);
    _mm512_mask_storeu_ps(score + t, tm, e);
    vsum = _mm512_add_ps(vsum, e);
  }
  const float inv_sum = 1.0f / simd::hsum(vsum);
  __m512 acc[NV];
  for (int u = 0; u < NV; ++u) acc[u] = _mm512_setzero_ps();
  for (int64_t s = 0; s < n_keys; ++s) {
    const float* vt = v + s * kv_stride;
    __m512 p = _mm512_set1_ps(score[s]);
    for (int u = 0; u < NV; ++u)
      acc[u] = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(u == NV - 1 ? mask : __mmask16(0xffff), vt + 16 * u), acc[u]);
  }
  const __m512 vinv = _mm512_set1_ps(inv_sum);
  for (int u = 0; u < NV; ++u)
    _mm512_mask_storeu_ps(o + 16 * u, u == NV - 1 ? mask : __mmask16(0xffff), _mm512_mul_ps(acc[u], vinv));
}

using AttendFn = void (*)(const float*, const float*, const float*, float*, int64_t, int64_t,
                          __mmask16, float, float*);

AttendFn attend_fn(int nv) {
  static constexpr AttendFn table[16] = {
      attend_one<1>,  attend_one<2>,  attend_one<3>,  attend_one<4>,  attend_one<5>,  attend_one<6>,
      attend_one<7>,  attend_one<8>,  attend_one<9>,  attend_one<10>, attend_one<11>, attend_one<12>,
      attend_one<13>, attend_one<14>, attend_one<15>, attend_one<16>};
  return table[nv - 1];
}

}  // namespace

void attention(const float* q, const float* k, const float* v, float* out, int64_t n_q,
               int64_t q_pos0, int64_t n_ctx, int64_t n_head, int64_t n_kv_head, int64_t head_dim,
               float scale) {
  if (head_dim > 256) {
    ref::attention(q, k, v, out, n_q, q_pos0, n_ctx, n_head, n_kv_head, head_dim, scale);
    return;
  }
  const int nv = int((head_dim + 15) / 16);
  const int tail = int(head_dim - 16 * (nv - 1));
  const __mmask16 mask = __mmask16(tail == 16 ? 0xffffu : (1u << tail) - 1u);
  const AttendFn fn = attend_fn(nv);
  const int64_t group = n_head / n_kv_head;
  const int64_t kv_stride = n_kv_head * head_dim;
  const int64_t n_tasks = n_q * n_head;
  const int64_t work = n_tasks * (q_pos0 + n_q) * head_dim;
#pragma omp parallel if (work >= (1 << 16))
  {
    std::vector<float> score(size_t(n_ctx) + 16);
    // Row i costs ~ (q_pos0 + i + 1); a cyclic schedule over chunks of one KV group balances the
    // causal triangle and keeps a group's heads together.
#pragma omp for schedule(dynamic, 1)
    for (int64_t chunk = 0; chunk < n_tasks / group; ++chunk) {
      int64_t i = chunk / n_kv_head, kh = chunk % n_kv_head;
      int64_t n_keys = q_pos0 + i + 1;
      for (int64_t h = kh * group; h < (kh + 1) * group; ++h)
        fn(q + (i * n_head + h) * head_dim, k + kh * head_dim, v + kh * head_dim,
           out + (i * n_head + h) * head_dim, n_keys, kv_stride, mask, scale, score.data());
    }
  }
}

#else  // portable build: the reference kernel is the fast path

void attention(const float* q, const float* k, const float* v, float* out, int64_t n_q,
               int64_t q_pos0, int64_t n_ctx, int64_t n_head, int64_t n_kv_head, int64_t head_dim,
               float scale) {
  ref::attention(q, k, v, out, n_q, q_pos0, n_ctx, n_head, n_kv_head, head_dim, scale);
}

#endif

}  // namespace t2::tensor::fast
