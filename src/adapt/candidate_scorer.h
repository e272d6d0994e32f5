// Scores CEM candidates (expert-mixture weights α) on a task's samples with one model replica.
// Every (candidate, sample) pair is one job of a single run::SampleRunner batch whose slot carries
// the candidate's mixed scaling (svf::ExpertBank::mix, the one mixing formula), so all candidates
// of a unit share each forward step and the SVF door decides per batch how the scalings are
// applied (svf/adapter.h). Per pair the result is whether the task's scorer accepts the completion
// and, for accepted ones, the mean token log-probability of the generated output taken by a
// teacher-forced re-score under the candidate's weights (the CEM tie-break, PROTOCOL.md §5).
// A candidate without a defined composition (all weights of a matrix 0) is not generated: its
// pairs get status "degenerate mixture: ..." and count as wrong.
// Not thread-safe; one per rank.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "adapt/task_data.h"
#include "run/sample_runner.h"
#include "svf/bank.h"

namespace t2::adapt {

struct PairResult {
  bool correct = false;
  double mean_logprob = 0.0;  // teacher-forced, of the generated output; 0 unless correct
  int32_t generated_tokens = 0;
  std::string status = "ok";
};

class CandidateScorer {
 public:
  // tiebreak false: no re-score (mean_logprob stays 0), as the reference ranks by fitness alone.
  CandidateScorer(run::SampleRunner& runner, const svf::ExpertBank& bank, bool per_layer,
                  bool normalise, bool tiebreak = true)
      : runner_(runner), bank_(bank), per_layer_(per_layer), normalise_(normalise),
        tiebreak_(tiebreak) {}

  // Results [candidate][item]; alphas [n_candidates][bank.dim(per_layer)]. separate: one batch
  // per candidate instead of one for all (the per-candidate baseline of benchmarks).
  std::vector<std::vector<PairResult>> score(const TaskData& data,
                                             const std::vector<std::vector<double>>& alphas,
                                             std::span<const int64_t> items, bool separate = false);

 private:
  run::SampleRunner& runner_;
  const svf::ExpertBank& bank_;
  bool per_layer_, normalise_, tiebreak_;
};

}  // namespace t2::adapt
