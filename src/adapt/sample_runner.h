// The per-sample pipeline of `t2 eval` on one model replica (DESIGN "Data flow of one evaluated
// sample"): task prompt → chat template (one BOS) → token ids → batched generation with the
// strategy's overrides (greedy by default; stop strings checked on the streamed text; the task's
// max new tokens and context limit) → scorer → one io::SampleRecord per item. A failing item (bad
// record, prompt too long, tokenizer or sandbox trouble) becomes a record with an error status and
// the batch goes on. A record's pass-2 seconds are its equal share of the batch's generation time.
//
// Under tensor parallelism every rank of the group runs run_batch with the same arguments (the
// generation's collectives must line up); only the leader (score = true) runs the scorer.
// Not thread-safe: one SampleRunner per rank, used from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "adapt/strategy.h"
#include "adapt/task_data.h"
#include "io/report_record.h"
#include "model/generate.h"
#include "tasks/sandbox/sandbox.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace t2::adapt {

struct RunnerOptions {
  int64_t max_tokens = 0;  // > 0 replaces every task's max new tokens
  uint64_t seed = 0;
  model::SamplingParams sampling;  // temperature 0 = greedy
  tasks::ScoringMode scoring = tasks::ScoringMode::clean;
  std::string chat_template;  // built-in name overriding the checkpoint's ("" = its own)
};

class SampleRunner {
 public:
  // model: this rank's (possibly sharded) replica. sandbox: nullptr unless code execution is allowed.
  SampleRunner(std::shared_ptr<const model::LlamaModel> model, tokenizer::Tokenizer tokenizer,
               const RunnerOptions& options, const tasks::sandbox::Sandbox* sandbox);

  // Installs the tensor-parallel all-reduce (required when the model is a shard).
  void set_all_reduce(model::AllReduceFn fn) { ctx_.set_all_reduce(std::move(fn)); }

  // Evaluates items `indices` of `data` as one generation batch. Records come back in the order
  // of indices; on non-leader ranks (score = false) prediction/correct are left empty.
  std::vector<io::SampleRecord> run_batch(const TaskData& data, std::span<const int64_t> indices,
                                          const Strategy& strategy, bool score = true);

  // The prompt ids of a sample (exposed for tests): rendered chat text + pre-fill, one BOS.
  std::vector<int32_t> prompt_ids(const tasks::Prompt& prompt) const;

  const tokenizer::Tokenizer& tokenizer() const { return tokenizer_; }
  int64_t model_context() const { return model_->config().n_ctx_max; }

 private:
  std::shared_ptr<const model::LlamaModel> model_;
  tokenizer::Tokenizer tokenizer_;
  std::optional<tokenizer::ChatTemplate> builtin_template_;
  RunnerOptions options_;
  const tasks::sandbox::Sandbox* sandbox_;
  std::vector<int32_t> stop_ids_;
  model::RunContext ctx_;
};

// Stop strings over the streamed output of one batched generation: add() (from generate()'s
// on_token) appends each request's decoded text, hit() (from its stop_check) looks for any of the
// request's stop strings in the text added since the previous check, with an overlap of the stop
// string's length so that a string split across tokens is still found.
class StopStrings {
 public:
  StopStrings(const tokenizer::Tokenizer& tok, size_t n_requests);
  void add(int32_t request, int32_t token);
  bool hit(int32_t request, const std::vector<std::string>& stop);

 private:
  std::vector<tokenizer::StreamDecoder> decoders_;
  std::vector<std::string> text_;
  std::vector<size_t> checked_;
};

// The completion text a scorer sees: generated ids decoded without a final stop token, cut before
// the first occurrence of any stop string.
std::string completion_text(const tokenizer::Tokenizer& tok, std::vector<int32_t> ids,
                            bool drop_last, const std::vector<std::string>& stop);

}  // namespace t2::adapt
