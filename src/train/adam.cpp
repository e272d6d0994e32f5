// Adam / AdamW, the cosine schedule and global-norm clipping.
#include "train/adam.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "tensor/ops.h"  // parallel_for

namespace t2::train {

Adam::Adam(AdamOptions opt, std::vector<size_t> sizes, std::vector<bool> decay)
    : opt_(opt), sizes_(std::move(sizes)), decay_(std::move(decay)) {
  T2_CHECK(decay_.size() == sizes_.size(), "Adam: %zu buffers but %zu decay flags", sizes_.size(),
           decay_.size());
  for (size_t n : sizes_) {
    m_.emplace_back(n, 0.0f);
    v_.emplace_back(n, 0.0f);
  }
}

void Adam::step(std::span<float* const> params, std::span<const float* const> grads, double lr) {
  T2_CHECK(params.size() == sizes_.size() && grads.size() == sizes_.size(),
           "Adam: step with %zu/%zu buffers, optimiser built for %zu", params.size(), grads.size(),
           sizes_.size());
  ++t_;
  const double bc1 = 1.0 - std::pow(opt_.beta1, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(opt_.beta2, static_cast<double>(t_));
  const float b1 = static_cast<float>(opt_.beta1), b2 = static_cast<float>(opt_.beta2);
  for (size_t k = 0; k < sizes_.size(); ++k) {
    float* w = params[k];
    const float* g = grads[k];
    float* m = m_[k].data();
    float* v = v_[k].data();
    const double wd = decay_[k] ? opt_.weight_decay : 0.0;
    const int64_t n = static_cast<int64_t>(sizes_[k]);
    constexpr int64_t kChunk = 1 << 16;  // below this a step stays on one thread
    tensor::parallel_for((n + kChunk - 1) / kChunk, [&](int64_t c) {
      for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); ++i) {
        m[i] = b1 * m[i] + (1.0f - b1) * g[i];
        v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        const double upd = (m[i] / bc1) / (std::sqrt(v[i] / bc2) + opt_.eps) + wd * w[i];
        w[i] = static_cast<float>(w[i] - lr * upd);
      }
    });
  }
}

double cosine_lr(int64_t step, int64_t total, int64_t warmup, double peak, double min_lr) {
  if (warmup > 0 && step < warmup) return peak * static_cast<double>(step + 1) / warmup;
  const int64_t span = std::max<int64_t>(1, total - warmup);
  const double progress = std::min(1.0, static_cast<double>(step - warmup) / span);
  return min_lr + 0.5 * (peak - min_lr) * (1.0 + std::cos(M_PI * progress));
}

double clip_global_norm(std::span<float* const> grads, std::span<const size_t> sizes,
                        double max_norm) {
  double ss = 0;
  for (size_t k = 0; k < grads.size(); ++k)
    for (size_t i = 0; i < sizes[k]; ++i) ss += double(grads[k][i]) * grads[k][i];
  const double norm = std::sqrt(ss);
  if (max_norm > 0 && norm > max_norm) {
    const float f = static_cast<float>(max_norm / norm);
    for (size_t k = 0; k < grads.size(); ++k)
      for (size_t i = 0; i < sizes[k]; ++i) grads[k][i] *= f;
  }
  return norm;
}

}  // namespace t2::train
