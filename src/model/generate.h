// Batched generation and teacher-forced scoring on top of LlamaModel::forward.
//
// generate(): many requests at once, each its own sequence slot (slot j = request j, which is the
// row_seq value overrides see). Every step batches all active sequences: prompt chunks (prefill,
// up to a token budget) and single decode tokens are mixed in one forward, and logits are computed
// for the last row of each sequence only. Sampling uses the request's own stream
// Rng::stream(seed, request id, sampling), so a request's output does not depend on which other
// requests share the batch. A request stops at a stop token id (kept in its output, as Hugging Face
// does), when the caller's stop check says so (stop strings: the caller detokenizes), at
// max_new_tokens, or at the context limit. A prompt that does not fit is an error result for that
// request; the others go on.
//
// score(): log p(ids[i] | ids[:i]) for i = 1 .. n-1 of each sequence (teacher forcing), for CEM
// tie-breaks and REINFORCE; long sequences are processed in chunks through the KV cache.
//
// Both reset the RunContext's sequences (not its overrides or all-reduce hook) and use it from the
// calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/run_context.h"
#include "model/sampling.h"

namespace t2::model {

struct GenerationRequest {
  uint64_t id = 0;               // stream item of the request's sampling Rng (e.g. the sample id)
  std::vector<int32_t> prompt;   // at least one token
  int64_t max_new_tokens = 256;
  SamplingParams sampling;       // temperature 0 = greedy
  // Input vectors for some prompt positions instead of their tokens' embeddings (image features
  // from model/llava); each run must lie inside the prompt. embeds_owner keeps the vectors alive
  // as long as any copy of the request.
  std::vector<EmbeddingRun> embeds{};
  std::shared_ptr<const void> embeds_owner{};
};

enum class FinishReason : uint8_t { stop_token, stop_string, max_tokens, context_limit, error };
const char* finish_reason_name(FinishReason r);

struct GenerationResult {
  std::vector<int32_t> tokens;     // generated ids (a final stop token included)
  std::vector<float> logprobs;     // log p of each generated token (when want_logprobs)
  FinishReason finish = FinishReason::max_tokens;
  std::string error;               // when finish == error
  int64_t n_prompt = 0;
  int64_t n_generated = 0;
  double admitted_s = 0;           // from the start of generate() until its first forward
  double seconds = 0;              // from the start of generate() until this request finished
};

struct GenerationOptions {
  uint64_t seed = 0;                    // job seed of the sampling streams
  std::vector<int32_t> stop_token_ids;  // empty: the model's eos ids
  bool use_eos = true;                  // false: ignore the model's eos ids
  int64_t context_limit = 0;            // prompt + generated; 0: max_position_embeddings
  int64_t max_batch_tokens = 2048;      // rows per forward (prompt chunks + decode tokens)
  bool want_logprobs = false;
  // Called after each generated token; return true to stop the request (finish = stop_string).
  std::function<bool(int32_t request, std::span<const int32_t> generated)> stop_check;
  // Token stream: called for every generated token, in order, per request.
  std::function<void(int32_t request, int32_t token)> on_token;
};

std::vector<GenerationResult> generate(RunContext& ctx, std::span<const GenerationRequest> requests,
                                       const GenerationOptions& options = {});

struct ScoreOptions {
  int64_t max_batch_tokens = 1024;  // rows per forward
  int64_t logits_rows = 64;         // rows of logits materialised at once ([rows, n_vocab])
};

// Throws t2::Error for a sequence with an id outside the vocabulary or longer than the context.
std::vector<std::vector<float>> score(RunContext& ctx,
                                      std::span<const std::vector<int32_t>> sequences,
                                      const ScoreOptions& options = {});
// The same with input vectors for some positions of each sequence (embeds[j] for sequence j;
// empty embeds: none anywhere). Each run must lie inside its sequence.
std::vector<std::vector<float>> score(RunContext& ctx,
                                      std::span<const std::vector<int32_t>> sequences,
                                      std::span<const std::vector<EmbeddingRun>> embeds,
                                      const ScoreOptions& options = {});

}  // namespace t2::model
