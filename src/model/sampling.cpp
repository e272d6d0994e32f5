// Greedy and nucleus sampling (see sampling.h).
#include "model/sampling.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace t2::model {

int32_t argmax(const float* logits, int64_t n_vocab) {
  int64_t best = 0;
  for (int64_t i = 1; i < n_vocab; ++i)
    if (logits[i] > logits[best]) best = i;
  return static_cast<int32_t>(best);
}

int32_t sample_token(const float* logits, int64_t n_vocab, const SamplingParams& params, Rng& rng,
                     SamplerScratch& s) {
  T2_CHECK(params.top_p > 0.0f && params.top_p <= 1.0f, "top_p must be in (0, 1], got %g",
           static_cast<double>(params.top_p));
  const int32_t best = argmax(logits, n_vocab);
  T2_CHECK(std::isfinite(logits[best]), "logits are not finite (max %g); the model produced NaN/inf",
           static_cast<double>(logits[best]));
  if (params.temperature <= 0.0f) return best;
  // probs ∝ exp((l - max) / T)
  s.probs.resize(static_cast<size_t>(n_vocab));
  const float inv_t = 1.0f / params.temperature;
  const float mx = logits[best];
  double total = 0;
  for (int64_t i = 0; i < n_vocab; ++i) {
    const float p = std::exp((logits[i] - mx) * inv_t);
    s.probs[i] = p;
    total += p;
  }
  if (params.top_p >= 1.0f) {
    double u = rng.uniform() * total;
    for (int64_t i = 0; i < n_vocab; ++i) {
      u -= s.probs[i];
      if (u < 0) return static_cast<int32_t>(i);
    }
    return static_cast<int32_t>(n_vocab - 1);
  }
  // Nucleus: the smallest set of most likely tokens whose mass reaches top_p.
  const double target = params.top_p * total;
  s.order.resize(static_cast<size_t>(n_vocab));
  for (int64_t i = 0; i < n_vocab; ++i) s.order[i] = static_cast<int32_t>(i);
  auto more_likely = [&](int32_t a, int32_t b) {
    return s.probs[a] > s.probs[b] || (s.probs[a] == s.probs[b] && a < b);
  };
  int64_t k = std::min<int64_t>(256, n_vocab);
  int64_t n_keep = 0;
  double kept = 0;
  for (;;) {
    std::partial_sort(s.order.begin(), s.order.begin() + k, s.order.end(), more_likely);
    kept = 0;
    n_keep = 0;
    while (n_keep < k && kept < target) kept += s.probs[s.order[n_keep++]];
    if (kept >= target || k == n_vocab) break;
    k = std::min<int64_t>(k * 4, n_vocab);
  }
  double u = rng.uniform() * kept;
  for (int64_t i = 0; i < n_keep; ++i) {
    u -= s.probs[s.order[i]];
    if (u < 0) return s.order[i];
  }
  return s.order[n_keep - 1];
}

double token_logprob(const float* logits, int64_t n_vocab, int32_t token) {
  T2_CHECK(token >= 0 && token < n_vocab, "token %d outside the vocabulary [0, %lld)", token,
           static_cast<long long>(n_vocab));
  float mx = logits[0];
  for (int64_t i = 1; i < n_vocab; ++i) mx = std::max(mx, logits[i]);
  double sum = 0;
  for (int64_t i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(logits[i] - mx));
  return static_cast<double>(logits[token] - mx) - std::log(sum);
}

}  // namespace t2::model
