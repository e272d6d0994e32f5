// `t2 score`: rescores saved completions without a model. Reads the task's data file and a JSONL
// of {"id", "completion"} lines, prints one JSON line per scored sample and a summary line. An
// empty data or completions file, or one without a single usable line, is an error.
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/log.h"
#include "base/progress.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "io/jsonl.h"
#include "tasks/task.h"
#include "tasks/task_options.h"

namespace t2::cli {

int run_score(int argc, char** argv) {
  const std::string usage =
      "t2 score --task gsm8k|math|arc|mbpp|humaneval --data FILE --completions COMPLETIONS.jsonl "
      "[--allow-code-execution] [--scoring clean|reference]";
  tasks::TaskOptions to;
  std::string task_name, data, completions;
  po::options_description desc("t2 score: rescore saved completions (no model)");
  desc.add_options()
      ("task", po::value(&task_name)->required(), "gsm8k, math, arc, mbpp, humaneval or cls")
      ("data", po::value(&data)->required(), "the task's dataset file (.jsonl or .jsonl.gz)")
      ("completions", po::value(&completions)->required(),
       "JSONL of {\"id\": ID, \"completion\": TEXT}; ID is the dataset's id (GSM8K: 0-based line "
       "number as a string); code completions are the text after the assistant pre-fill");
  tasks::add_scoring_options(desc, to);
  size_t max_line_bytes = io::kDefaultMaxLineBytes;
  add_max_line_bytes_option(desc, max_line_bytes);
  const auto parsed = parse_options(usage, desc, argc, argv);
  if (parsed.help) return 0;
  const auto problems = tasks::validate_task_options(to);
  T2_CHECK(problems.empty(), "%s", problems.front().c_str());

  auto task = tasks::make_task(task_name);
  tasks::require_code_execution_allowed(*task, to);
  const tasks::Dataset ds = task->load(data, max_line_bytes);
  for (const auto& e : ds.errors) T2_LOG_WARN("%s", e.message.c_str());
  T2_CHECK(!ds.samples.empty(), "'%s' holds no usable %s records (%zu bad lines)", data.c_str(),
           task_name.c_str(), ds.errors.size());
  std::map<std::string, const tasks::Sample*> by_id;
  for (const auto& s : ds.samples) by_id[s.id] = &s;

  size_t errors = ds.errors.size();
  std::vector<std::pair<const tasks::Sample*, std::string>> items;
  std::map<std::string, size_t> seen;
  const auto lines = io::read_jsonl(completions, max_line_bytes);
  io::require_records(lines, completions);
  for (const auto& rec : lines) {
    if (!rec.ok()) {
      T2_LOG_WARN("%s", rec.error.c_str());
      ++errors;
      continue;
    }
    const auto& v = rec.value;
    const auto id_it = v.is_object() ? v.find("id") : v.end();
    const auto c_it = v.is_object() ? v.find("completion") : v.end();
    if (!v.is_object() || id_it == v.end() || c_it == v.end() || !c_it->is_string() ||
        !(id_it->is_string() || id_it->is_number_integer())) {
      T2_LOG_WARN("%s:%zu: expected {\"id\": string or integer, \"completion\": string}",
                  completions.c_str(), rec.line);
      ++errors;
      continue;
    }
    const std::string id = id_it->is_string() ? id_it->get<std::string>() : std::to_string(id_it->get<long long>());
    const auto it = by_id.find(id);
    if (it == by_id.end()) {
      T2_LOG_WARN("%s:%zu: id '%s' is not in %s", completions.c_str(), rec.line, id.c_str(), data.c_str());
      ++errors;
      continue;
    }
    if (seen.count(id)) {
      T2_LOG_WARN("%s:%zu: id '%s' repeats line %zu; scored once", completions.c_str(), rec.line,
                  id.c_str(), seen[id]);
      ++errors;
      continue;
    }
    seen[id] = rec.line;
    items.emplace_back(it->second, c_it->get<std::string>());
  }

  T2_CHECK(!items.empty(), "'%s': none of its %zu lines is a usable completion of %s (see the "
           "warnings above); nothing to score", completions.c_str(), lines.size(), data.c_str());
  tasks::ScoreOptions so;
  so.mode = tasks::parse_scoring_mode(to.scoring);
  std::unique_ptr<tasks::sandbox::Sandbox> sb;
  if (task->runs_code()) {
    sb = std::make_unique<tasks::sandbox::Sandbox>(tasks::sandbox_limits(to), to.code_parallel);
    T2_LOG_INFO("sandbox: %s isolation, %d programs at once", tasks::sandbox::isolation_name(sb->isolation()),
                sb->n_parallel());
    so.sandbox = sb.get();
  }
  // Generated code runs in the sandbox, a few programs per second: score it in chunks of a few
  // sandbox rounds so that a progress line (programs done, rate, ETA) can follow.
  std::vector<tasks::Verdict> verdicts;
  ProgressOptions po;
  po.label = "score";
  po.unit = "programs";
  po.enabled = task->runs_code();
  Progress progress(po, static_cast<int64_t>(items.size()));
  const size_t chunk = sb ? std::max<size_t>(32, 8 * static_cast<size_t>(sb->n_parallel())) : items.size();
  for (size_t at = 0; at < items.size(); at += chunk) {
    const std::vector<std::pair<const tasks::Sample*, std::string>> part(
        items.begin() + at, items.begin() + std::min(items.size(), at + chunk));
    for (auto& v : task->score_many(part, so)) verdicts.push_back(std::move(v));
    progress.update(static_cast<int64_t>(verdicts.size()));
  }
  progress.finish();
  size_t n_correct = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& v = verdicts[i];
    n_correct += v.correct;
    nlohmann::json line = {{"id", items[i].first->id}, {"prediction", v.prediction},
                           {"correct", v.correct}, {"status", v.status}};
    if (!v.detail.empty()) line["detail"] = v.detail;
    std::printf("%s\n", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  }
  const double acc = static_cast<double>(n_correct) / static_cast<double>(items.size());
  nlohmann::json summary = {{"summary", {{"n", items.size()}, {"correct", n_correct},
                                         {"accuracy", acc}, {"errors", errors}}}};
  std::printf("%s\n", summary.dump().c_str());
  return 0;
}

}  // namespace t2::cli
