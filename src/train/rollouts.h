// Where REINFORCE's rollouts come from. The trainer (reinforce.h) asks for the rollouts of some
// samples under the current expert and gets, per sample, the prompt ids, the ids whose
// log-probability the loss counts and whether the answer was right; it never sees tasks or text.
// task_rollouts() is the production source: the samples of a task through run::SampleRunner (so
// through the same prompt encoder, generation, stop strings, scorer and SVF door as `t2 eval`).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "run/sample_runner.h"
#include "svf/compose.h"

namespace t2::train {

struct Rollout {
  std::vector<int32_t> prompt;      // prompt ids (image placeholders expanded)
  std::vector<model::EmbeddingRun> embeds;  // image features inside the prompt (none: text)
  std::shared_ptr<const void> embeds_owner;  // keeps them alive
  std::vector<int32_t> completion;  // ids after the prompt whose log p the loss sums
  bool correct = false;
  bool error = false;               // generation or scoring failed (counts as wrong)
  int64_t generated_tokens = 0;
};

// Rollouts of samples (ids of the caller's sample list) under scaling. reuse: batches the
// scaling will serve (svf::Workload); the trainer passes the iteration's unit count, which does not
// depend on the rank count.
using RolloutFn = std::function<std::vector<Rollout>(
    std::span<const int64_t> samples, const svf::ScalingSet& scaling, double reuse)>;

// Which ids of an answer the REINFORCE log-probability covers (PROTOCOL.md §2).
enum class LogprobTokens {
  retokenized,  // the completion text (cut at the stop string) re-tokenized, no EOS or stop ids
  generated,    // the generated ids as they came, a final stop id included
};
LogprobTokens parse_logprob_tokens(const std::string& text);  // "retokenized" | "generated"

// Rollouts of jobs[id] (their scaling is replaced by the trainer's) through the runner, greedy,
// scored by the task. Samples whose prompt cannot run come back with error = true.
RolloutFn task_rollouts(run::SampleRunner& runner, const std::vector<run::Job>& jobs,
                        LogprobTokens tokens);

}  // namespace t2::train
