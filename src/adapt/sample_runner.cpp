// The per-sample evaluation pipeline on one replica; see sample_runner.h.
#include "adapt/sample_runner.h"

#include <algorithm>
#include <utility>

#include "base/error.h"
#include "base/timer.h"

namespace t2::adapt {

namespace {

// FNV-1a of the task name: keeps sampling streams of different tasks apart without depending on
// the order of --task options.
uint64_t name_hash(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

size_t first_stop(const std::string& text, const std::vector<std::string>& stop, size_t from) {
  size_t best = std::string::npos;
  for (const auto& s : stop) {
    if (s.empty()) continue;
    const size_t start = from > s.size() ? from - s.size() : 0;
    const size_t at = text.find(s, start);
    if (at != std::string::npos && at < best) best = at;
  }
  return best;
}

}  // namespace

StopStrings::StopStrings(const tokenizer::Tokenizer& tok, size_t n_requests)
    : decoders_(n_requests, tokenizer::StreamDecoder(tok)), text_(n_requests), checked_(n_requests, 0) {}

void StopStrings::add(int32_t request, int32_t token) { text_[request] += decoders_[request].step(token); }

bool StopStrings::hit(int32_t request, const std::vector<std::string>& stop) {
  if (stop.empty()) return false;
  const bool found = first_stop(text_[request], stop, checked_[request]) != std::string::npos;
  checked_[request] = text_[request].size();
  return found;
}

std::string completion_text(const tokenizer::Tokenizer& tok, std::vector<int32_t> ids,
                            bool drop_last, const std::vector<std::string>& stop) {
  if (drop_last && !ids.empty()) ids.pop_back();
  std::string text = tok.decode(ids);
  const size_t cut = first_stop(text, stop, 0);
  if (cut != std::string::npos) text.resize(cut);
  return text;
}

SampleRunner::SampleRunner(std::shared_ptr<const model::LlamaModel> model,
                           tokenizer::Tokenizer tokenizer, const RunnerOptions& options,
                           const tasks::sandbox::Sandbox* sandbox)
    : model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      options_(options),
      sandbox_(sandbox),
      ctx_(model_) {
  const auto& cfg = model_->config();
  T2_CHECK(tokenizer_.vocab_size() <= static_cast<size_t>(cfg.n_vocab),
           "tokenizer %s has %zu ids but model %s has vocab_size %lld: they do not belong together",
           tokenizer_.source().c_str(), tokenizer_.vocab_size(), model_->dir().c_str(),
           static_cast<long long>(cfg.n_vocab));
  if (!options_.chat_template.empty()) {
    const int32_t bos = tokenizer_.bos_id();
    const auto& eos = tokenizer_.eos_ids();
    builtin_template_ = tokenizer::ChatTemplate::builtin(
        options_.chat_template, bos >= 0 ? tokenizer_.id_to_token(bos) : "",
        eos.empty() ? "" : tokenizer_.id_to_token(eos.front()));
    const int32_t eot = tokenizer_.token_to_id(builtin_template_->end_of_turn());
    if (eot >= 0) stop_ids_.push_back(eot);
  } else {
    tokenizer_.chat_template();  // throws now, naming the file, when the checkpoint has none
  }
  // Generation ends at any id the tokenizer or the model calls an end (eos, end of turn).
  for (int32_t id : tokenizer_.eos_ids()) stop_ids_.push_back(id);
  for (int64_t id : cfg.eos_token_ids) stop_ids_.push_back(static_cast<int32_t>(id));
  std::sort(stop_ids_.begin(), stop_ids_.end());
  stop_ids_.erase(std::unique(stop_ids_.begin(), stop_ids_.end()), stop_ids_.end());
}

std::vector<int32_t> SampleRunner::prompt_ids(const tasks::Prompt& prompt) const {
  const tokenizer::ChatTemplate& tmpl =
      builtin_template_ ? *builtin_template_ : tokenizer_.chat_template();
  std::vector<tokenizer::Message> messages;
  if (!prompt.system.empty()) messages.push_back({"system", prompt.system});
  messages.push_back({"user", prompt.user});
  const std::string text = tmpl.render(messages, /*add_generation_prompt=*/true) + prompt.prefill;
  std::vector<int32_t> ids = tokenizer_.encode(text, /*parse_special=*/true);
  const int32_t bos = tokenizer_.bos_id();
  if (bos >= 0) {
    if (ids.empty() || ids.front() != bos) ids.insert(ids.begin(), bos);
    const auto n_bos = std::count(ids.begin(), ids.end(), bos);
    T2_CHECK(n_bos == 1, "the prompt holds %lld BOS tokens (the sample text spells one out?); "
             "expected exactly one at the start", static_cast<long long>(n_bos));
  }
  return ids;
}

std::vector<io::SampleRecord> SampleRunner::run_batch(const TaskData& data,
                                                      std::span<const int64_t> indices,
                                                      const Strategy& strategy, bool score) {
  std::vector<io::SampleRecord> records(indices.size());
  struct Pending {
    size_t rec;
    tasks::Prompt prompt;
  };
  std::vector<Pending> pending;
  std::vector<model::GenerationRequest> requests;
  const int64_t model_ctx = model_->config().n_ctx_max;
  int64_t context_limit = 0;
  for (size_t i = 0; i < indices.size(); ++i) {
    const int64_t idx = indices[i];
    T2_CHECK(idx >= 0 && idx < static_cast<int64_t>(data.items.size()),
             "work unit names item %lld of task %s, which has %zu items", static_cast<long long>(idx),
             data.name.c_str(), data.items.size());
    const TaskItem& item = data.items[idx];
    io::SampleRecord& r = records[i];
    r.task = data.name;
    r.index = idx;
    r.expert = strategy.label();
    if (!item.sample) {
      r.status = "bad record: " + item.load_error;
      continue;
    }
    r.id = item.sample->id;
    try {
      tasks::Prompt p = data.task->build_prompt(*item.sample);
      model::GenerationRequest req;
      req.id = name_hash(data.name) + static_cast<uint64_t>(idx);
      req.prompt = prompt_ids(p);
      req.max_new_tokens = options_.max_tokens > 0 ? options_.max_tokens : p.max_new_tokens;
      req.sampling = options_.sampling;
      r.prompt_tokens = static_cast<int32_t>(req.prompt.size());
      const int64_t limit = std::min<int64_t>(p.context_limit, model_ctx);
      if (static_cast<int64_t>(req.prompt.size()) >= limit) {
        r.status = t2::format("prompt too long: %zu tokens, context limit %lld",
                              req.prompt.size(), static_cast<long long>(limit));
        continue;
      }
      context_limit = std::max(context_limit, limit);
      requests.push_back(std::move(req));
      pending.push_back({i, std::move(p)});
    } catch (const t2::Error& e) {
      r.status = std::string("prompt: ") + e.what();
    }
  }
  if (pending.empty()) return records;

  strategy.apply(ctx_);
  StopStrings stops(tokenizer_, pending.size());
  model::GenerationOptions opt;
  opt.seed = options_.seed;
  opt.stop_token_ids = stop_ids_;
  opt.context_limit = context_limit;
  opt.on_token = [&](int32_t r, int32_t tok) { stops.add(r, tok); };
  opt.stop_check = [&](int32_t r, std::span<const int32_t>) { return stops.hit(r, pending[r].prompt.stop); };
  std::vector<model::GenerationResult> results;
  Timer timer;
  try {
    results = model::generate(ctx_, requests, opt);
  } catch (const t2::Error& e) {
    for (const Pending& p : pending) records[p.rec].status = std::string("generation: ") + e.what();
    return records;
  }

  // Each sample's pass-2 time is its equal share of the batch's generation wall time, so that the
  // sum over a task is the replica time spent on it (tokens/s = generated tokens / that sum).
  const double share = timer.seconds() / static_cast<double>(pending.size());
  std::vector<size_t> to_score;
  std::vector<std::pair<const tasks::Sample*, std::string>> score_items;
  for (size_t j = 0; j < pending.size(); ++j) {
    io::SampleRecord& r = records[pending[j].rec];
    const model::GenerationResult& g = results[j];
    r.generated_tokens = static_cast<int32_t>(g.n_generated);
    r.pass2_s = share;
    if (g.finish == model::FinishReason::error) {
      r.status = "generation: " + g.error;
      continue;
    }
    try {
      r.text = completion_text(tokenizer_, g.tokens, g.finish == model::FinishReason::stop_token,
                               pending[j].prompt.stop);
    } catch (const t2::Error& e) {
      r.status = std::string("decode: ") + e.what();
      continue;
    }
    to_score.push_back(j);
    score_items.emplace_back(data.items[r.index].sample, r.text);
  }
  if (!score || score_items.empty()) return records;
  tasks::ScoreOptions so;
  so.mode = options_.scoring;
  so.sandbox = const_cast<tasks::sandbox::Sandbox*>(sandbox_);
  try {
    const auto verdicts = data.task->score_many(score_items, so);
    for (size_t k = 0; k < to_score.size(); ++k) {
      io::SampleRecord& r = records[pending[to_score[k]].rec];
      const tasks::Verdict& v = verdicts[k];
      r.prediction = v.prediction;
      r.correct = v.correct;
      if (v.status == "error" || v.status == "not_run")
        r.status = "scorer: " + v.status + (v.prediction.empty() ? "" : " (" + v.prediction + ")");
    }
  } catch (const t2::Error& e) {
    for (size_t k : to_score) records[pending[k].rec].status = std::string("scorer: ") + e.what();
  }
  return records;
}

}  // namespace t2::adapt
