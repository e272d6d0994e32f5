// Scores CEM candidates (expert-mixture weights α) on a task's samples with one model replica:
// every (candidate, sample) pair is one sequence slot of a single generation batch, and each slot
// gets its candidate's mixed scaling through the factored SVF overrides (svf/override.h), so the
// candidates of a batch share one forward per step and no weight matrix is ever recomposed.
// Per pair the result is whether the task's scorer accepts the completion and the mean log-prob of
// the generated tokens (the CEM tie-break, PROTOCOL.md §5).
//
// Mixing (PROTOCOL §5): z'(m) = Σ_k w_k(m) · z_k(m) with z_k = sigmoid(p_k) · max_mult_k, where
// w(m) = α(m), or α(m) / Σ_k α_k(m) with normalise. A candidate whose z' is 0 for some matrix (all
// weights 0 there) has no defined W' (svf's mass-preserving factor divides by Σσz'): its pairs are
// not generated, get status "degenerate mixture: ..." and count as wrong (fitness 0, tie-break 0).
// Not thread-safe; one per rank.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "adapt/sample_runner.h"
#include "adapt/task_data.h"
#include "svf/expert.h"
#include "svf/mixture.h"
#include "svf/override.h"

namespace t2::adapt {

// The matrices the experts adapt and each expert's z per matrix; α layout helpers.
struct ExpertBank {
  std::vector<std::string> labels;          // K
  std::vector<std::string> matrices;        // M, sorted
  std::vector<std::vector<std::vector<float>>> z;  // [K][M][r_m]
  bool per_layer = false;
  bool normalise = false;

  int n_experts() const { return static_cast<int>(labels.size()); }
  // Coordinates of α: K, or M · K with per-layer (matrix-major: α[m · K + k]).
  int dim() const { return per_layer ? static_cast<int>(matrices.size() * labels.size())
                                     : static_cast<int>(labels.size()); }
  // The scaling set of one α vector (dim() values).
  svf::ScalingSet scaling(std::span<const double> alpha, const std::string& label) const;
};

// All experts must adapt the same matrices with the same ranks (checked, naming the files).
ExpertBank make_expert_bank(const std::vector<std::string>& labels,
                            const std::vector<svf::Expert>& experts,
                            const std::vector<std::string>& paths, bool per_layer, bool normalise);

struct PairResult {
  bool correct = false;
  double mean_logprob = 0.0;  // mean over generated tokens (0 when none)
  int32_t generated_tokens = 0;
  std::string status = "ok";
};

class CandidateScorer {
 public:
  CandidateScorer(std::shared_ptr<const model::LlamaModel> model, tokenizer::Tokenizer tok,
                  const RunnerOptions& options, const tasks::sandbox::Sandbox* sandbox,
                  svf::FactorSet factors, const ExpertBank* bank);

  // Results [candidate][item] for every pair, generated as one batch. alphas: [n_candidates][dim].
  std::vector<std::vector<PairResult>> score(const TaskData& data,
                                             const std::vector<std::vector<double>>& alphas,
                                             std::span<const int64_t> items);

  // Same pairs, but each candidate recomposes dense weights and runs its own batch (the
  // per-candidate baseline for benchmarks; one expert per batch).
  std::vector<std::vector<PairResult>> score_dense(const TaskData& data,
                                                   const std::vector<std::vector<double>>& alphas,
                                                   std::span<const int64_t> items);

 private:
  std::vector<std::vector<PairResult>> run(const TaskData& data,
                                           const std::vector<std::vector<double>>& alphas,
                                           std::span<const int64_t> items, bool dense);
  std::shared_ptr<const model::LlamaModel> model_;
  SampleRunner runner_;  // prompt ids and tokenizer
  RunnerOptions options_;
  const tasks::sandbox::Sandbox* sandbox_;
  svf::FactorSet factors_;
  const ExpertBank* bank_;
  std::vector<int32_t> stop_ids_;
  model::RunContext ctx_;
};

}  // namespace t2::adapt
