// Batched scoring of CEM candidates through factored SVF overrides; see candidate_scorer.h.
#include "adapt/candidate_scorer.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "base/error.h"
#include "model/generate.h"
#include "tokenizer/chat_template.h"

namespace t2::adapt {

svf::ScalingSet ExpertBank::scaling(std::span<const double> alpha, const std::string& label) const {
  T2_CHECK(static_cast<int>(alpha.size()) == dim(), "mixture weights: expected %d values, got %zu",
           dim(), alpha.size());
  const size_t K = labels.size();
  svf::ScalingSet s;
  s.label = label;
  for (size_t m = 0; m < matrices.size(); ++m) {
    const double* a = alpha.data() + (per_layer ? m * K : 0);
    double sum = 0.0;
    for (size_t k = 0; k < K; ++k) {
      T2_CHECK(std::isfinite(a[k]), "mixture weight %zu of matrix %s is not finite (%g)", k,
               matrices[m].c_str(), a[k]);
      sum += a[k];
    }
    std::vector<float> zm(z[0][m].size(), 0.0f);
    for (size_t k = 0; k < K; ++k) {
      const double w = normalise ? (sum > 0.0 ? a[k] / sum : 0.0) : a[k];
      const auto& zk = z[k][m];
      for (size_t i = 0; i < zm.size(); ++i) zm[i] += static_cast<float>(w * zk[i]);
    }
    s.z[matrices[m]] = std::move(zm);
  }
  return s;
}

ExpertBank make_expert_bank(const std::vector<std::string>& labels,
                            const std::vector<svf::Expert>& experts,
                            const std::vector<std::string>& paths, bool per_layer, bool normalise) {
  T2_CHECK(!experts.empty() && experts.size() == labels.size() && paths.size() == labels.size(),
           "expert bank: %zu labels, %zu experts, %zu paths", labels.size(), experts.size(),
           paths.size());
  ExpertBank b;
  b.labels = labels;
  b.per_layer = per_layer;
  b.normalise = normalise;
  for (const auto& [name, p] : experts[0].params) b.matrices.push_back(name);
  for (size_t k = 0; k < experts.size(); ++k) {
    const svf::Expert& e = experts[k];
    T2_CHECK(e.meta.base_fingerprint == experts[0].meta.base_fingerprint,
             "expert %s (%s) belongs to base %s, expert %s (%s) to %s", labels[k].c_str(),
             paths[k].c_str(), e.meta.base_fingerprint.c_str(), labels[0].c_str(), paths[0].c_str(),
             experts[0].meta.base_fingerprint.c_str());
    T2_CHECK(e.params.size() == b.matrices.size(),
             "expert %s (%s) adapts %zu matrices, expert %s (%s) %zu", labels[k].c_str(),
             paths[k].c_str(), e.params.size(), labels[0].c_str(), paths[0].c_str(),
             b.matrices.size());
    std::vector<std::vector<float>> zk;
    for (const std::string& m : b.matrices) {
      auto it = e.params.find(m);
      T2_CHECK(it != e.params.end(), "expert %s (%s) does not adapt %s, which expert %s adapts",
               labels[k].c_str(), paths[k].c_str(), m.c_str(), labels[0].c_str());
      T2_CHECK(it->second.size() == experts[0].params.at(m).size(),
               "expert %s (%s) has %zu values for %s, expert %s has %zu", labels[k].c_str(),
               paths[k].c_str(), it->second.size(), m.c_str(), labels[0].c_str(),
               experts[0].params.at(m).size());
      zk.push_back(e.z(m));
    }
    b.z.push_back(std::move(zk));
  }
  return b;
}

CandidateScorer::CandidateScorer(std::shared_ptr<const model::LlamaModel> model,
                                 tokenizer::Tokenizer tokenizer, const RunnerOptions& options,
                                 const tasks::sandbox::Sandbox* sandbox, svf::FactorSet factors,
                                 const ExpertBank* bank)
    : model_(model),
      runner_(model, std::move(tokenizer), options, sandbox),
      options_(options),
      sandbox_(sandbox),
      factors_(std::move(factors)),
      bank_(bank),
      ctx_(model) {
  // The same end-of-generation ids as the eval pipeline (sample_runner.cpp).
  const tokenizer::Tokenizer& tok = runner_.tokenizer();
  for (int32_t id : tok.eos_ids()) stop_ids_.push_back(id);
  for (int64_t id : model_->config().eos_token_ids) stop_ids_.push_back(static_cast<int32_t>(id));
  if (!options.chat_template.empty()) {
    const int32_t bos = tok.bos_id();
    const auto t = tokenizer::ChatTemplate::builtin(
        options.chat_template, bos >= 0 ? tok.id_to_token(bos) : "",
        tok.eos_ids().empty() ? "" : tok.id_to_token(tok.eos_ids().front()));
    const int32_t eot = tok.token_to_id(t.end_of_turn());
    if (eot >= 0) stop_ids_.push_back(eot);
  }
  std::sort(stop_ids_.begin(), stop_ids_.end());
  stop_ids_.erase(std::unique(stop_ids_.begin(), stop_ids_.end()), stop_ids_.end());
}

std::vector<std::vector<PairResult>> CandidateScorer::score(
    const TaskData& data, const std::vector<std::vector<double>>& alphas,
    std::span<const int64_t> items) {
  return run(data, alphas, items, /*dense=*/false);
}

std::vector<std::vector<PairResult>> CandidateScorer::score_dense(
    const TaskData& data, const std::vector<std::vector<double>>& alphas,
    std::span<const int64_t> items) {
  std::vector<std::vector<PairResult>> out;
  for (const auto& a : alphas) out.push_back(run(data, {a}, items, /*dense=*/true).front());
  return out;
}

std::vector<std::vector<PairResult>> CandidateScorer::run(
    const TaskData& data, const std::vector<std::vector<double>>& alphas,
    std::span<const int64_t> items, bool dense) {
  const size_t nc = alphas.size(), ni = items.size();
  std::vector<std::vector<PairResult>> out(nc, std::vector<PairResult>(ni));
  // Prompts once per item; a bad item fails its pairs for every candidate alike.
  std::vector<tasks::Prompt> prompts(ni);
  std::vector<std::vector<int32_t>> ids(ni);
  std::vector<std::string> item_error(ni);
  int64_t context_limit = 0;
  for (size_t i = 0; i < ni; ++i) {
    T2_CHECK(items[i] >= 0 && items[i] < static_cast<int64_t>(data.items.size()),
             "item %lld of task %s does not exist (%zu items)", static_cast<long long>(items[i]),
             data.name.c_str(), data.items.size());
    const TaskItem& it = data.items[items[i]];
    if (!it.sample) {
      item_error[i] = "bad record: " + it.load_error;
      continue;
    }
    try {
      prompts[i] = data.task->build_prompt(*it.sample);
      ids[i] = runner_.prompt_ids(prompts[i]);
      const int64_t limit = std::min<int64_t>(prompts[i].context_limit, model_->config().n_ctx_max);
      if (static_cast<int64_t>(ids[i].size()) >= limit)
        item_error[i] = t2::format("prompt too long: %zu tokens, limit %lld", ids[i].size(),
                                   static_cast<long long>(limit));
      context_limit = std::max(context_limit, limit);
    } catch (const t2::Error& e) {
      item_error[i] = std::string("prompt: ") + e.what();
    }
  }
  struct Slot { size_t c, i; };
  std::vector<Slot> slots;
  std::vector<model::GenerationRequest> requests;
  std::vector<svf::ScalingSet> scalings;
  std::vector<std::string> cand_error(nc);
  for (size_t c = 0; c < nc; ++c) {
    scalings.push_back(bank_->scaling(alphas[c], "candidate"));
    for (const auto& [name, z] : scalings.back().z) {
      bool zero = true;
      for (float v : z) zero = zero && v == 0.0f;
      if (zero) cand_error[c] = "degenerate mixture: all weights 0 for " + name;
    }
  }
  std::vector<const svf::ScalingSet*> per_slot;
  for (size_t c = 0; c < nc; ++c)
    for (size_t i = 0; i < ni; ++i) {
      if (!item_error[i].empty() || !cand_error[c].empty()) {
        out[c][i].status = cand_error[c].empty() ? item_error[i] : cand_error[c];
        continue;
      }
      model::GenerationRequest r;
      r.id = static_cast<uint64_t>(items[i]);
      r.prompt = ids[i];
      r.max_new_tokens = options_.max_tokens > 0 ? options_.max_tokens : prompts[i].max_new_tokens;
      r.sampling = options_.sampling;
      requests.push_back(std::move(r));
      slots.push_back({c, i});
      per_slot.push_back(&scalings[c]);
    }
  if (requests.empty()) return out;
  ctx_.clear_all();
  ctx_.clear_overrides();
  if (dense) svf::register_dense_overrides(ctx_, factors_, scalings.front());
  else svf::register_factored_overrides(ctx_, factors_, per_slot);

  StopStrings stops(runner_.tokenizer(), requests.size());
  model::GenerationOptions opt;
  opt.seed = options_.seed;
  opt.stop_token_ids = stop_ids_;
  opt.context_limit = context_limit;
  opt.want_logprobs = true;
  opt.on_token = [&](int32_t r, int32_t t) { stops.add(r, t); };
  opt.stop_check = [&](int32_t r, std::span<const int32_t>) { return stops.hit(r, prompts[slots[r].i].stop); };
  const auto results = model::generate(ctx_, requests, opt);
  ctx_.clear_overrides();

  std::vector<std::pair<const tasks::Sample*, std::string>> to_score;
  std::vector<size_t> scored;
  for (size_t j = 0; j < slots.size(); ++j) {
    PairResult& p = out[slots[j].c][slots[j].i];
    const auto& g = results[j];
    p.generated_tokens = static_cast<int32_t>(g.n_generated);
    if (g.finish == model::FinishReason::error) {
      p.status = "generation: " + g.error;
      continue;
    }
    double lp = 0.0;
    for (float v : g.logprobs) lp += v;
    p.mean_logprob = g.logprobs.empty() ? 0.0 : lp / static_cast<double>(g.logprobs.size());
    to_score.emplace_back(data.items[items[slots[j].i]].sample,
                          completion_text(runner_.tokenizer(), g.tokens,
                                          g.finish == model::FinishReason::stop_token,
                                          prompts[slots[j].i].stop));
    scored.push_back(j);
  }
  tasks::ScoreOptions so;
  so.mode = options_.scoring;
  so.sandbox = const_cast<tasks::sandbox::Sandbox*>(sandbox_);
  const auto verdicts = data.task->score_many(to_score, so);
  for (size_t k = 0; k < scored.size(); ++k) {
    PairResult& p = out[slots[scored[k]].c][slots[scored[k]].i];
    p.correct = verdicts[k].correct;
    if (verdicts[k].status == "error" || verdicts[k].status == "not_run")
      p.status = "scorer: " + verdicts[k].status;
  }
  return out;
}

}  // namespace t2::adapt
