// Vision-side operations (see vision_ops.h). Row loops are split into blocks on the kernels'
// worker pool; inside a block (and inside the attention tasks) tensor calls run on the calling
// thread, as the pool's rules say.
#include "model/llava/vision_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"
#include "tensor/ops.h"  // linear, silu_mul, parallel_for

namespace t2::model::llava {

namespace {

// f(i0, i1) over [0, n) in blocks of about `grain` items on the worker pool.
template <typename F>
void for_blocks(int64_t n, int64_t grain, const F& f) {
  const int64_t n_blocks = (n + grain - 1) / grain;
  if (n_blocks <= 1) {
    if (n > 0) f(int64_t(0), n);
    return;
  }
  tensor::parallel_for(n_blocks, [&](int64_t b) { f(b * grain, std::min(n, (b + 1) * grain)); });
}

constexpr int64_t kElementGrain = 1 << 14;
constexpr float kQuickGeluAlpha = 1.702f;

}  // namespace

void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, int64_t d,
                float eps) {
  for_blocks(n, std::max<int64_t>(1, kElementGrain / std::max<int64_t>(d, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * d;
      float* yr = y + r * d;
      double mean = 0;
      for (int64_t i = 0; i < d; ++i) mean += xr[i];
      mean /= static_cast<double>(d);
      double var = 0;
      for (int64_t i = 0; i < d; ++i) var += (xr[i] - mean) * (xr[i] - mean);
      var /= static_cast<double>(d);
      const double inv = 1.0 / std::sqrt(var + static_cast<double>(eps));
      for (int64_t i = 0; i < d; ++i)
        yr[i] = static_cast<float>((xr[i] - mean) * inv) * w[i] + b[i];
    }
  });
}

void add_bias(float* x, const float* b, int64_t n, int64_t d) {
  for_blocks(n, std::max<int64_t>(1, kElementGrain / std::max<int64_t>(d, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t i = 0; i < d; ++i) x[r * d + i] += b[i];
  });
}

void activate(float* x, int64_t n, Activation act) {
  switch (act) {
    case Activation::quick_gelu: {
      // x·σ(1.702x) = silu(1.702x) / 1.702: the vectorised silu_mul with a constant second factor.
      static const std::vector<float> inv_alpha(kElementGrain, 1.0f / kQuickGeluAlpha);
      for_blocks(n, kElementGrain, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) x[i] *= kQuickGeluAlpha;
        tensor::silu_mul(x + i0, inv_alpha.data(), x + i0, i1 - i0);
      });
      return;
    }
    case Activation::gelu:
      for_blocks(n, kElementGrain, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i)
          x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * static_cast<float>(M_SQRT1_2)));
      });
      return;
    case Activation::gelu_tanh:
      for_blocks(n, kElementGrain, [&](int64_t i0, int64_t i1) {
        constexpr float k = 0.7978845608028654f;  // sqrt(2 / pi)
        for (int64_t i = i0; i < i1; ++i) {
          const float v = x[i];
          x[i] = 0.5f * v * (1.0f + std::tanh(k * (v + 0.044715f * v * v * v)));
        }
      });
      return;
  }
}

void bidirectional_attention(const float* q, const float* k, const float* v, float* out,
                             int64_t n_seq, int64_t n_tok, int64_t n_head, int64_t head_dim,
                             float scale, tensor::DType kv_dtype) {
  T2_CHECK(n_seq >= 0 && n_tok >= 0 && n_head > 0 && head_dim > 0,
           "bidirectional_attention: bad sizes");
  T2_CHECK(kv_dtype == tensor::DType::f32 || kv_dtype == tensor::DType::bf16,
           "bidirectional_attention: keys and values must be f32 or bf16");
  const int64_t row = n_head * head_dim;  // stride between tokens
  tensor::parallel_for(n_seq * n_head, [&](int64_t task) {
    const int64_t s = task / n_head, h = task % n_head;
    const int64_t base = s * n_tok * row + h * head_dim;
    // Per-task buffers: qh, kh [n_tok, hd], vt [hd, n_tok], scores [n_tok, n_tok], oh [n_tok, hd]
    std::vector<float> qh(n_tok * head_dim), kh(n_tok * head_dim), vt(head_dim * n_tok);
    std::vector<float> scores(n_tok * n_tok), oh(n_tok * head_dim);
    for (int64_t t = 0; t < n_tok; ++t) {
      for (int64_t e = 0; e < head_dim; ++e) {
        qh[t * head_dim + e] = q[base + t * row + e];
        kh[t * head_dim + e] = k[base + t * row + e];
        vt[e * n_tok + t] = v[base + t * row + e];
      }
    }
    const void* kw = kh.data();
    const void* vw = vt.data();
    std::vector<uint16_t> kb, vb;  // bf16 copies when kv_dtype is bf16
    if (kv_dtype == tensor::DType::bf16) {
      kb.resize(kh.size());
      vb.resize(vt.size());
      tensor::convert_from_f32(kh.data(), tensor::DType::bf16, kb.data(), kh.size());
      tensor::convert_from_f32(vt.data(), tensor::DType::bf16, vb.data(), vt.size());
      kw = kb.data();
      vw = vb.data();
    }
    tensor::linear(qh.data(), kw, kv_dtype, scores.data(), n_tok, n_tok, head_dim);
    for (int64_t t = 0; t < n_tok; ++t) {
      float* sr = scores.data() + t * n_tok;
      float mx = -INFINITY;
      for (int64_t j = 0; j < n_tok; ++j) mx = std::max(mx, sr[j] * scale);
      double sum = 0;
      for (int64_t j = 0; j < n_tok; ++j) {
        sr[j] = std::exp(sr[j] * scale - mx);
        sum += sr[j];
      }
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t j = 0; j < n_tok; ++j) sr[j] *= inv;
    }
    tensor::linear(scores.data(), vw, kv_dtype, oh.data(), n_tok, head_dim, n_tok);
    for (int64_t t = 0; t < n_tok; ++t)
      std::copy_n(oh.data() + t * head_dim, head_dim, out + base + t * row);
  });
}

}  // namespace t2::model::llava
