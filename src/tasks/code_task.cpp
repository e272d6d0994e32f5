// Implementation of the shared code-task scoring.
#include "tasks/code_task.h"

#include <cctype>

#include "base/error.h"
#include "tasks/text.h"

namespace t2::tasks {

std::string CodeTask::extract(const Sample&, std::string_view completion, ScoringMode mode) const {
  return cut_at_fence(completion, mode == ScoringMode::clean);
}

std::vector<std::string> top_level_definitions(const std::string& code) {
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos < code.size()) {
    size_t end = code.find('\n', pos);
    if (end == std::string::npos) end = code.size();
    const std::string_view line(code.data() + pos, end - pos);
    pos = end + 1;
    for (std::string_view kw : {"def ", "class "}) {
      if (line.substr(0, kw.size()) != kw) continue;
      std::string_view rest = line.substr(kw.size());
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      size_t n = 0;
      while (n < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[n])) || rest[n] == '_')) ++n;
      if (n > 0) names.emplace_back(rest.substr(0, n));
    }
  }
  return names;
}

Verdict verdict_from_result(const sandbox::Result& r, std::string code) {
  Verdict v;
  v.prediction = std::move(code);
  v.correct = r.outcome == sandbox::Outcome::pass;
  switch (r.outcome) {
    case sandbox::Outcome::pass: v.status = "ok"; break;
    case sandbox::Outcome::fail: v.status = "fail"; break;
    case sandbox::Outcome::timeout: v.status = "timeout"; break;
    case sandbox::Outcome::error: v.status = "error"; break;
  }
  return v;
}

Verdict CodeTask::score(const Sample& sample, std::string_view completion,
                        const ScoreOptions& options) const {
  return score_many({{&sample, std::string(completion)}}, options).front();
}

std::vector<Verdict> CodeTask::score_many(
    const std::vector<std::pair<const Sample*, std::string>>& items, const ScoreOptions& options) const {
  std::vector<Verdict> out(items.size());
  std::vector<sandbox::Job> jobs;
  std::vector<size_t> where;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string code = extract(*items[i].first, items[i].second, options.mode);
    out[i].prediction = code;
    if (!options.sandbox) {
      out[i].status = "not_run";
      continue;
    }
    jobs.push_back(make_job(*items[i].first, code));
    where.push_back(i);
  }
  if (jobs.empty()) return out;
  const auto results = options.sandbox->run_many(jobs);
  for (size_t k = 0; k < results.size(); ++k)
    out[where[k]] = verdict_from_result(results[k], std::move(out[where[k]].prediction));
  return out;
}

}  // namespace t2::tasks
