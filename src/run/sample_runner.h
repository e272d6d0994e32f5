// The one path from task samples to generations on a model replica, for evaluation, both passes of
// two-pass dispatch, CEM candidate scoring and REINFORCE rollouts. A batch is a list of jobs
// (a task sample and the SVF scaling its slot uses, nullptr for the base weights): prompts are
// encoded (run/prompt_encoder.h), the scalings attached through the SVF door (svf/adapter.h), all
// jobs generated together (model::generate: prefill chunks and decode tokens share each forward),
// stop strings cut the completions, and — when asked — the task's scorer gives the verdicts. A job
// that cannot run (bad record, prompt beyond the context, tokenizer trouble) gets an error status
// and the batch goes on. Every result carries its own wall time from admission to finish.
//
// Image samples (a sample whose extra["image"] names its picture: TextVQA, OK-VQA) need the
// vision side of a LLaVA-NeXT checkpoint (set_vision): the runner decodes each image named in a
// batch once (from its path, on this rank), runs the tower and projector, and splices the features
// into the prompt's image placeholders (model/llava/model.h); a job's vision_s is its share of the
// encoding time of its image. Text samples never touch the vision side.
//
// Under tensor parallelism every rank of the group runs the same batches in the same order (the
// generation's collectives must line up); only the leader asks for scores.
// Not thread-safe: one SampleRunner per rank, used from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/generate.h"
#include "model/llama/model.h"
#include "model/llava/model.h"
#include "run/prompt_encoder.h"
#include "svf/adapter.h"
#include "tasks/sandbox/sandbox.h"
#include "tasks/task.h"

namespace t2::run {

struct RunnerOptions {
  int64_t max_new_tokens = 0;      // > 0 replaces every task's max new tokens
  uint64_t seed = 0;               // job seed of the sampling streams
  model::SamplingParams sampling;  // temperature 0 = greedy
  tasks::ScoringMode scoring = tasks::ScoringMode::clean;
  std::string chat_template;       // built-in name overriding the checkpoint's ("" = its own)
  svf::ApplyMode apply = svf::ApplyMode::automatic;
  size_t svf_cache_bytes = 0;      // dense composition cache (0: the adapter's default)
};

struct Job {
  const tasks::Task* task = nullptr;
  const tasks::Sample* sample = nullptr;  // nullptr: the record could not be parsed
  std::string load_error;                 // why, when sample is nullptr
  const svf::ScalingSet* scaling = nullptr;  // nullptr: base weights
  uint64_t stream = 0;                    // sampling stream of the job (e.g. a hash of task + index)
};

struct JobResult {
  std::string status = "ok";          // "ok" or an error text
  std::vector<int32_t> prompt;        // prompt ids (one BOS)
  std::vector<int32_t> tokens;        // generated ids (a final stop id included)
  std::vector<float> logprobs;        // log p of each generated token (BatchOptions::logprobs)
  model::FinishReason finish = model::FinishReason::max_tokens;
  std::string text;                   // the completion the scorer sees (cut at stop strings)
  std::vector<model::EmbeddingRun> embeds;  // image features spliced into `prompt` (none: text)
  std::shared_ptr<const void> embeds_owner;  // keeps the features of `embeds` alive
  double vision_s = 0;                // share of the vision pass of the job's image (0: none)
  std::vector<std::string> stop;      // the stop strings of the job's prompt
  bool scored = false;
  tasks::Verdict verdict;             // when scored
  bool ran = false;                   // entered the generation batch
  double seconds = 0;                 // wall time from admission to finish in the batch
  bool ok() const { return status == "ok"; }
};

// One generation of token ids (the level below tasks: REINFORCE rollouts, `t2 generate`).
struct Generation {
  std::vector<int32_t> prompt;              // at least one id
  const svf::ScalingSet* scaling = nullptr;  // nullptr: base weights
  int64_t max_new_tokens = 0;
  std::vector<std::string> stop;            // stop strings (the text is cut before them)
  uint64_t stream = 0;                      // sampling stream
  int64_t context_limit = 0;                // prompt + generated; 0: the model's
  std::vector<model::EmbeddingRun> embeds;  // input vectors for some prompt positions (images)
  std::shared_ptr<const void> embeds_owner;
};

struct BatchOptions {
  bool score = true;        // run the task's scorer (the leader of a tensor-parallel group)
  bool logprobs = false;    // log p of the generated tokens during generation
  double reuse = 1.0;       // batches a dense composition is expected to serve (svf::Workload)
};

struct BatchStats {
  double wall_s = 0;         // generation wall time of the batch (attach excluded)
  svf::AttachStats attach;   // how the scalings were attached and what that cost
  int64_t generated_tokens = 0;
};

class SampleRunner {
 public:
  // model: this rank's (possibly sharded) replica. factors: the SVD factors of the adapted
  // matrices for this replica (null when only the base model runs). sandbox: nullptr unless code
  // execution is allowed. Throws t2::Error, before any work, when the tokenizer does not belong to
  // the model or the checkpoint has no chat template (and options name none).
  SampleRunner(std::shared_ptr<const model::LlamaModel> model, tokenizer::Tokenizer tokenizer,
               const RunnerOptions& options, const tasks::sandbox::Sandbox* sandbox,
               std::shared_ptr<const svf::FactorSet> factors = nullptr);

  // The vision side for image samples: a LLaVA-NeXT model whose language_model() is this
  // runner's model. Without it an image sample ends with an error status naming the problem.
  void set_vision(std::shared_ptr<const model::llava::LlavaModel> vision);
  bool has_vision() const { return vision_ != nullptr; }

  // Installs the tensor-parallel all-reduce (required when the model is a shard).
  void set_all_reduce(model::AllReduceFn fn) { ctx_.set_all_reduce(std::move(fn)); }

  // Runs every job as one generation batch; results in job order.
  std::vector<JobResult> run(std::span<const Job> jobs, const BatchOptions& options = {},
                             BatchStats* stats = nullptr);
  // The same for prompts given as ids (no task, never scored): status, tokens, text, seconds.
  std::vector<JobResult> generate(std::span<const Generation> gens, const BatchOptions& options = {},
                                  BatchStats* stats = nullptr);

  // Teacher-forced mean log-probability of each job's given completion ids after its prompt ids,
  // under the job's scaling (the CEM tie-break and training log-probs). An empty completion: 0.
  struct Rescore {
    std::vector<int32_t> prompt, completion;
    const svf::ScalingSet* scaling = nullptr;
    std::vector<model::EmbeddingRun> embeds;  // image features inside `prompt` (JobResult::embeds)
  };
  std::vector<double> mean_logprobs(std::span<const Rescore> items);

  const PromptEncoder& encoder() const { return encoder_; }
  const model::LlamaModel& model() const { return *model_; }
  const RunnerOptions& options() const { return options_; }
  int64_t context() const { return model_->config().n_ctx_max; }

 private:
  // The prompt of a job as ids (images expanded and attached); throws t2::Error.
  Generation prepare(const Job& job, std::map<std::string, std::shared_ptr<const std::vector<
                     model::llava::ImageFeatures>>>& images) const;

  std::shared_ptr<const model::LlamaModel> model_;
  std::shared_ptr<const model::llava::LlavaModel> vision_;
  PromptEncoder encoder_;
  RunnerOptions options_;
  const tasks::sandbox::Sandbox* sandbox_;
  svf::Adapter adapter_;
  model::RunContext ctx_;
};

}  // namespace t2::run
