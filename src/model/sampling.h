// Next-token selection from one row of logits: greedy (argmax, first index on ties, as
// torch.argmax) or temperature + top-p (nucleus) sampling from a caller-owned t2::Rng stream.
// Sampling cost is O(n_vocab) plus a partial sort of the few hundred most likely tokens (grown
// only when they hold less than top_p of the mass), never a full sort of the vocabulary.
#pragma once

#include <cstdint>
#include <vector>

#include "base/rng.h"

namespace t2::model {

struct SamplingParams {
  float temperature = 0.0f;  // <= 0: greedy
  float top_p = 1.0f;        // (0, 1]; 1 keeps the whole distribution
};

// Reusable buffers, so that sampling does not allocate per token once warm.
struct SamplerScratch {
  std::vector<float> probs;
  std::vector<int32_t> order;
};

int32_t argmax(const float* logits, int64_t n_vocab);

// Throws t2::Error for top_p outside (0, 1] or non-finite logits.
int32_t sample_token(const float* logits, int64_t n_vocab, const SamplingParams& params, Rng& rng,
                     SamplerScratch& scratch);

// log p(token) under softmax(logits) (temperature 1), in double for accuracy.
double token_logprob(const float* logits, int64_t n_vocab, int32_t token);

}  // namespace t2::model
