// CEM candidates × samples as runner jobs, with the teacher-forced tie-break; see
// candidate_scorer.h.
#include "adapt/candidate_scorer.h"

#include <optional>

#include "base/error.h"

namespace t2::adapt {

std::vector<std::vector<PairResult>> CandidateScorer::score(
    const TaskData& data, const std::vector<std::vector<double>>& alphas,
    std::span<const int64_t> items, bool separate) {
  const size_t nc = alphas.size(), ni = items.size();
  std::vector<std::vector<PairResult>> out(nc, std::vector<PairResult>(ni));
  std::vector<std::optional<svf::ScalingSet>> mixed(nc);
  for (size_t c = 0; c < nc; ++c) {
    try {
      mixed[c] = bank_.mix(alphas[c], per_layer_, normalise_, "candidate");
    } catch (const t2::Error& e) {
      for (auto& p : out[c]) p.status = std::string("degenerate mixture: ") + e.what();
    }
  }
  for (size_t i = 0; i < ni; ++i)
    T2_CHECK(items[i] >= 0 && items[i] < static_cast<int64_t>(data.items.size()),
             "item %lld of task %s does not exist (%zu items)", static_cast<long long>(items[i]),
             data.name.c_str(), data.items.size());

  // One batch of every (candidate, item) pair, or one batch per candidate.
  struct Pair {
    size_t c, i;
  };
  std::vector<std::vector<Pair>> batches;
  for (size_t c = 0; c < nc; ++c) {
    if (!mixed[c]) continue;
    if (separate || batches.empty()) batches.emplace_back();
    for (size_t i = 0; i < ni; ++i) batches.back().push_back({c, i});
  }
  run::BatchOptions bo;  // reuse 1: a candidate's weights serve this batch only
  for (const auto& batch : batches) {
    std::vector<run::Job> jobs;
    for (const Pair& p : batch) {
      const TaskItem& it = data.items[items[p.i]];
      jobs.push_back({data.task.get(), it.sample, it.load_error, &*mixed[p.c],
                      static_cast<uint64_t>(items[p.i])});
    }
    const auto res = runner_.run(jobs, bo);
    std::vector<run::SampleRunner::Rescore> rescore;
    std::vector<size_t> rescored;
    for (size_t j = 0; j < batch.size(); ++j) {
      PairResult& p = out[batch[j].c][batch[j].i];
      p.status = res[j].status;
      p.generated_tokens = static_cast<int32_t>(res[j].tokens.size());
      p.correct = res[j].ok() && res[j].scored && res[j].verdict.correct;
      if (!p.correct || !tiebreak_) continue;
      std::vector<int32_t> output = res[j].tokens;
      if (res[j].finish == model::FinishReason::stop_token && !output.empty()) output.pop_back();
      rescore.push_back({res[j].prompt, std::move(output), &*mixed[batch[j].c]});
      rescored.push_back(j);
    }
    const auto lp = runner_.mean_logprobs(rescore);
    for (size_t k = 0; k < rescored.size(); ++k)
      out[batch[rescored[k]].c][batch[rescored[k]].i].mean_logprob = lp[k];
  }
  return out;
}

}  // namespace t2::adapt
