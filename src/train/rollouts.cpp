// Task rollouts through the sample runner; see rollouts.h.
#include "train/rollouts.h"

#include "base/error.h"

namespace t2::train {

LogprobTokens parse_logprob_tokens(const std::string& text) {
  if (text == "retokenized") return LogprobTokens::retokenized;
  if (text == "generated") return LogprobTokens::generated;
  T2_FAIL("--logprob-tokens must be retokenized or generated, got '%s'", text.c_str());
}

RolloutFn task_rollouts(run::SampleRunner& runner, const std::vector<run::Job>& jobs,
                        LogprobTokens tokens) {
  return [&runner, &jobs, tokens](std::span<const int64_t> samples,
                                  const svf::ScalingSet& scaling, double reuse) {
    std::vector<run::Job> batch;
    for (int64_t id : samples) {
      T2_CHECK(id >= 0 && id < static_cast<int64_t>(jobs.size()), "rollout of sample %lld of %zu",
               static_cast<long long>(id), jobs.size());
      batch.push_back(jobs[static_cast<size_t>(id)]);
      batch.back().scaling = &scaling;
      batch.back().stream = static_cast<uint64_t>(id);
    }
    run::BatchOptions bo;
    bo.reuse = reuse;
    const auto res = runner.run(batch, bo);
    std::vector<Rollout> out(res.size());
    for (size_t i = 0; i < res.size(); ++i) {
      const run::JobResult& r = res[i];
      Rollout& o = out[i];
      o.prompt = r.prompt;
      o.embeds = r.embeds;
      o.embeds_owner = r.embeds_owner;
      o.generated_tokens = static_cast<int64_t>(r.tokens.size());
      o.error = !r.ok();
      o.correct = r.ok() && r.scored && r.verdict.correct;
      if (o.error) continue;
      if (tokens == LogprobTokens::generated) {
        o.completion = r.tokens;
      } else {
        o.completion = runner.encoder().tokenizer().encode(r.text, /*parse_special=*/true);
      }
    }
    return out;
  };
}

}  // namespace t2::train
