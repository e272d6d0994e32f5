// Adam / AdamW over a list of flat f32 parameter buffers, with its state (moments, step count)
// open to checkpoints, plus the learning-rate schedule (linear warmup, cosine decay) and
// global-norm gradient clipping. Pure arithmetic: no threads, no I/O.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace t2::train {

struct AdamOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // decoupled (AdamW); applied only to buffers marked decay
};

class Adam {
 public:
  Adam() = default;
  // sizes[i]: length of buffer i; decay[i]: whether weight decay applies to it.
  Adam(AdamOptions opt, std::vector<size_t> sizes, std::vector<bool> decay);

  // One step: w −= lr · (m̂ / (√v̂ + eps) + wd · w) per buffer; grads are not modified.
  void step(std::span<float* const> params, std::span<const float* const> grads, double lr);
  int64_t n_steps() const { return t_; }
  // Direct access to the moments and step count (for checkpoints stored as datasets).
  std::vector<std::vector<float>>& first_moments() { return m_; }
  std::vector<std::vector<float>>& second_moments() { return v_; }
  const std::vector<std::vector<float>>& first_moments() const { return m_; }
  const std::vector<std::vector<float>>& second_moments() const { return v_; }
  void set_n_steps(int64_t t) { t_ = t; }

 private:
  AdamOptions opt_;
  std::vector<size_t> sizes_;
  std::vector<bool> decay_;
  std::vector<std::vector<float>> m_, v_;
  int64_t t_ = 0;
};

// lr at step (0-based): linear warmup over `warmup` steps to peak, then cosine to min_lr at total.
double cosine_lr(int64_t step, int64_t total, int64_t warmup, double peak, double min_lr);

// Global L2 norm of all gradient buffers; when > max_norm (and max_norm > 0) scales them by
// max_norm / norm. Returns the norm before clipping.
double clip_global_norm(std::span<float* const> grads, std::span<const size_t> sizes,
                        double max_norm);

}  // namespace t2::train
