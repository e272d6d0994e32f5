// Training op kernels and their backward (see tensor/grad.h). Sums of a row run in double.
#include "tensor/grad.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace t2::tensor::grad {

// Below this many values a loop stays on one thread: waking a team costs more than it saves,
// badly so on an oversubscribed machine.
constexpr int64_t kParallelMin = 1 << 16;

void linear(const float* x, const float* w, float* y, int64_t n, int64_t m, int64_t k,
            bool accumulate) {
  if (n == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(m),
              static_cast<int>(k), 1.0f, x, static_cast<int>(k), w, static_cast<int>(k),
              accumulate ? 1.0f : 0.0f, y, static_cast<int>(m));
}

void linear_dx(const float* dy, const float* w, float* dx, int64_t n, int64_t m, int64_t k,
               bool accumulate) {
  if (n == 0) return;
  if (n <= 32) {
    // Few rows and a long reduction (e.g. the head's 128k vocabulary): BLAS threads gain little
    // here and stall badly on a busy machine; row-wise axpy over W's rows streams W once per row.
    for (int64_t i = 0; i < n; ++i) {
      float* out = dx + i * k;
      if (!accumulate) std::fill(out, out + k, 0.0f);
      for (int64_t j = 0; j < m; ++j) {
        const float a = dy[i * m + j];
        if (a == 0.0f) continue;
        const float* wj = w + j * k;
        for (int64_t e = 0; e < k; ++e) out[e] += a * wj[e];
      }
    }
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(n), static_cast<int>(k),
              static_cast<int>(m), 1.0f, dy, static_cast<int>(m), w, static_cast<int>(k),
              accumulate ? 1.0f : 0.0f, dx, static_cast<int>(k));
}

void linear_dw(const float* dy, const float* x, float* dw, int64_t n, int64_t m, int64_t k) {
  if (n == 0) return;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(k),
              static_cast<int>(n), 1.0f, dy, static_cast<int>(m), x, static_cast<int>(k), 1.0f, dw,
              static_cast<int>(k));
}

void rms_norm(const float* x, const float* w, float* y, float* rstd, int64_t n, int64_t d,
              float eps) {
#pragma omp parallel for schedule(static) if (n * d >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float* xi = x + i * d;
    double ss = 0;
    for (int64_t j = 0; j < d; ++j) ss += double(xi[j]) * xi[j];
    const float r = static_cast<float>(1.0 / std::sqrt(ss / d + eps));
    rstd[i] = r;
    for (int64_t j = 0; j < d; ++j) y[i * d + j] = xi[j] * r * w[j];
  }
}

void rms_norm_backward(const float* x, const float* w, const float* rstd, const float* dy,
                       float* dx, float* dw, int64_t n, int64_t d) {
  // y_j = x_j r w_j, r = (mean(x²)+eps)^-1/2: dx_j = r g_j − x_j r³ (Σ_k g_k x_k) / d, g = dy ⊙ w.
#pragma omp parallel for schedule(static) if (n * d >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float* xi = x + i * d;
    const float* gi = dy + i * d;
    const double r = rstd[i];
    double dot = 0;
    for (int64_t j = 0; j < d; ++j) dot += double(gi[j]) * w[j] * xi[j];
    const double coef = r * r * r * dot / d;
    for (int64_t j = 0; j < d; ++j)
      dx[i * d + j] += static_cast<float>(r * gi[j] * w[j] - xi[j] * coef);
  }
  if (dw == nullptr) return;
#pragma omp parallel for schedule(static) if (n * d >= kParallelMin)
  for (int64_t j = 0; j < d; ++j) {
    double acc = 0;
    for (int64_t i = 0; i < n; ++i) acc += double(dy[i * d + j]) * x[i * d + j] * rstd[i];
    dw[j] += static_cast<float>(acc);
  }
}

void attention(const float* q, const float* k, const float* v, float* out, float* probs,
               int64_t len, int64_t nh, int64_t nkv, int64_t hd, float scale) {
  const int64_t group = nh / nkv;
#pragma omp parallel for schedule(dynamic) if (nh * len * len * hd >= 4 * kParallelMin)
  for (int64_t h = 0; h < nh; ++h) {
    const int64_t kh = h / group;
    float* p_h = probs + h * len * len;
    for (int64_t i = 0; i < len; ++i) {
      const float* qi = q + (i * nh + h) * hd;
      float* pi = p_h + i * len;
      double mx = -INFINITY;
      for (int64_t j = 0; j <= i; ++j) {
        const float* kj = k + (j * nkv + kh) * hd;
        double s = 0;
        for (int64_t e = 0; e < hd; ++e) s += double(qi[e]) * kj[e];
        pi[j] = static_cast<float>(s * scale);
        mx = std::max(mx, double(pi[j]));
      }
      double z = 0;
      for (int64_t j = 0; j <= i; ++j) z += std::exp(pi[j] - mx);
      for (int64_t j = 0; j <= i; ++j) pi[j] = static_cast<float>(std::exp(pi[j] - mx) / z);
      for (int64_t j = i + 1; j < len; ++j) pi[j] = 0.0f;
      float* oi = out + (i * nh + h) * hd;
      std::memset(oi, 0, sizeof(float) * hd);
      for (int64_t j = 0; j <= i; ++j) {
        const float* vj = v + (j * nkv + kh) * hd;
        const float pj = pi[j];
        for (int64_t e = 0; e < hd; ++e) oi[e] += pj * vj[e];
      }
    }
  }
}

void attention_backward(const float* q, const float* k, const float* v, const float* probs,
                        const float* dout, float* dq, float* dk, float* dv, int64_t len,
                        int64_t nh, int64_t nkv, int64_t hd, float scale) {
  const int64_t group = nh / nkv;
  // One kv head per task: it owns dk/dv rows of that head, so no two tasks write the same value.
#pragma omp parallel for schedule(dynamic) if (nh * len * len * hd >= 4 * kParallelMin)
  for (int64_t kh = 0; kh < nkv; ++kh) {
    for (int64_t j = 0; j < len; ++j) {
      std::memset(dk + (j * nkv + kh) * hd, 0, sizeof(float) * hd);
      std::memset(dv + (j * nkv + kh) * hd, 0, sizeof(float) * hd);
    }
    std::vector<double> dp(static_cast<size_t>(len));
    for (int64_t h = kh * group; h < (kh + 1) * group; ++h) {
      const float* p_h = probs + h * len * len;
      for (int64_t i = 0; i < len; ++i) {
        const float* pi = p_h + i * len;
        const float* doi = dout + (i * nh + h) * hd;
        const float* qi = q + (i * nh + h) * hd;
        double dsum = 0;
        for (int64_t j = 0; j <= i; ++j) {
          const float* vj = v + (j * nkv + kh) * hd;
          double s = 0;
          for (int64_t e = 0; e < hd; ++e) s += double(doi[e]) * vj[e];
          dp[j] = s;
          dsum += s * pi[j];
        }
        float* dqi = dq + (i * nh + h) * hd;
        std::memset(dqi, 0, sizeof(float) * hd);
        for (int64_t j = 0; j <= i; ++j) {
          const float ds = static_cast<float>(pi[j] * (dp[j] - dsum) * scale);
          const float* kj = k + (j * nkv + kh) * hd;
          float* dkj = dk + (j * nkv + kh) * hd;
          float* dvj = dv + (j * nkv + kh) * hd;
          const float pj = pi[j];
          for (int64_t e = 0; e < hd; ++e) {
            dqi[e] += ds * kj[e];
            dkj[e] += ds * qi[e];
            dvj[e] += pj * doi[e];
          }
        }
      }
    }
  }
}

void swiglu(const float* gate, const float* up, float* act, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    act[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void swiglu_backward(const float* gate, const float* up, const float* dact, float* dgate,
                     float* dup, int64_t n) {
  // silu(g) = g σ(g); silu'(g) = σ(g) (1 + g (1 − σ(g))).
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float sg = 1.0f / (1.0f + std::exp(-g));
    dup[i] = dact[i] * g * sg;
    dgate[i] = dact[i] * up[i] * sg * (1.0f + g * (1.0f - sg));
  }
}

}  // namespace t2::tensor::grad
