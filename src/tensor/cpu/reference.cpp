// Reference kernels: one loop nest per formula, double accumulators, no SIMD or threads.
#include "tensor/cpu/reference.h"

#include <cmath>
#include <vector>

namespace t2::tensor::ref {

namespace {

// Element j of a weight buffer of any dtype, as f32.
float load(const void* w, DType dtype, int64_t j) {
  switch (dtype) {
    case DType::f32: return static_cast<const float*>(w)[j];
    case DType::bf16: return bf16_to_f32(static_cast<const uint16_t*>(w)[j]);
    case DType::f16: return f16_to_f32(static_cast<const uint16_t*>(w)[j]);
  }
  return 0.0f;
}

}  // namespace

void linear(const float* x, const void* w, DType w_dtype, float* y, int64_t n, int64_t m, int64_t k,
            bool accumulate) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < m; ++o) {
      double acc = 0.0;
      for (int64_t j = 0; j < k; ++j) acc += double(x[i * k + j]) * double(load(w, w_dtype, o * k + j));
      float r = static_cast<float>(acc);
      y[i * m + o] = accumulate ? y[i * m + o] + r : r;
    }
  }
}

void rms_norm(const float* x, const float* weight, float* y, int64_t n, int64_t d, float eps) {
  for (int64_t i = 0; i < n; ++i) {
    double ss = 0.0;
    for (int64_t j = 0; j < d; ++j) ss += double(x[i * d + j]) * double(x[i * d + j]);
    float inv = static_cast<float>(1.0 / std::sqrt(ss / double(d) + double(eps)));
    for (int64_t j = 0; j < d; ++j) y[i * d + j] = x[i * d + j] * inv * weight[j];
  }
}

void rope(float* x, const int32_t* pos, const float* inv_freq, int64_t n, int64_t n_head,
          int64_t head_dim) {
  int64_t half = head_dim / 2;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t h = 0; h < n_head; ++h) {
      float* v = x + (i * n_head + h) * head_dim;
      for (int64_t j = 0; j < half; ++j) {
        // Angle in f32 like Hugging Face (pos and inv_freq are f32 there), trig in double.
        float angle = static_cast<float>(pos[i]) * inv_freq[j];
        double c = std::cos(double(angle)), s = std::sin(double(angle));
        double x1 = v[j], x2 = v[j + half];
        v[j] = static_cast<float>(x1 * c - x2 * s);
        v[j + half] = static_cast<float>(x2 * c + x1 * s);
      }
    }
  }
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double g = gate[i];
    out[i] = static_cast<float>(g / (1.0 + std::exp(-g)) * double(up[i]));
  }
}

void attention(const float* q, const float* k, const float* v, float* out, int64_t n_q,
               int64_t q_pos0, int64_t n_ctx, int64_t n_head, int64_t n_kv_head, int64_t head_dim,
               float scale) {
  int64_t group = n_head / n_kv_head;
  std::vector<double> score(static_cast<size_t>(n_ctx));
  for (int64_t i = 0; i < n_q; ++i) {
    int64_t p = q_pos0 + i;  // keys 0..p are visible
    for (int64_t h = 0; h < n_head; ++h) {
      int64_t kh = h / group;
      const float* qv = q + (i * n_head + h) * head_dim;
      double mx = -INFINITY;
      for (int64_t t = 0; t <= p; ++t) {
        const float* kv = k + (t * n_kv_head + kh) * head_dim;
        double dot = 0.0;
        for (int64_t j = 0; j < head_dim; ++j) dot += double(qv[j]) * double(kv[j]);
        score[t] = dot * double(scale);
        mx = std::max(mx, score[t]);
      }
      double sum = 0.0;
      for (int64_t t = 0; t <= p; ++t) {
        score[t] = std::exp(score[t] - mx);
        sum += score[t];
      }
      float* o = out + (i * n_head + h) * head_dim;
      for (int64_t j = 0; j < head_dim; ++j) {
        double acc = 0.0;
        for (int64_t t = 0; t <= p; ++t) acc += score[t] * double(v[(t * n_kv_head + kh) * head_dim + j]);
        o[j] = static_cast<float>(acc / sum);
      }
    }
  }
}

void log_softmax(const float* x, float* y, int64_t n, int64_t d) {
  for (int64_t i = 0; i < n; ++i) {
    double mx = -INFINITY;
    for (int64_t j = 0; j < d; ++j) mx = std::max(mx, double(x[i * d + j]));
    double sum = 0.0;
    for (int64_t j = 0; j < d; ++j) sum += std::exp(double(x[i * d + j]) - mx);
    double lse = mx + std::log(sum);
    for (int64_t j = 0; j < d; ++j) y[i * d + j] = static_cast<float>(double(x[i * d + j]) - lse);
  }
}

void embedding(const void* table, DType dtype, const int32_t* ids, float* out, int64_t n, int64_t d) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) out[i * d + j] = load(table, dtype, int64_t(ids[i]) * d + j);
}

void add(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

}  // namespace t2::tensor::ref
