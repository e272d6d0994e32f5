// Implementation of the task option helpers.
#include "tasks/task_options.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <utility>
#include <vector>

#include "base/error.h"

namespace t2::tasks {

void add_scoring_options(boost::program_options::options_description& desc, TaskOptions& o) {
  namespace po = boost::program_options;
  desc.add_options()
      ("scoring", po::value(&o.scoring)->default_value(o.scoring),
       "answer rules: clean (ours) or reference (the reference implementation's, quirks included)")
      ("allow-code-execution", po::bool_switch(&o.allow_code_execution),
       "run generated programs (mbpp, humaneval) in the sandbox (required for those tasks)")
      ("code-timeout", po::value(&o.code_timeout)->default_value(o.code_timeout, "10"),
       "wall-clock seconds per program")
      ("code-memory-mb", po::value(&o.code_memory_mb)->default_value(o.code_memory_mb),
       "address-space limit per program, MiB")
      ("code-parallel", po::value(&o.code_parallel)->default_value(o.code_parallel),
       "programs run at once (0 = number of cores)");
}

void add_task_options(boost::program_options::options_description& desc, TaskOptions& o) {
  desc.add_options()(
      "prompt-file", boost::program_options::value(&o.prompt_file),
      "replace prompt templates with files (format: docs/tasks.md): FILE for every task, or "
      "TASK=FILE,... per task (dispatch=FILE: the first pass of two-pass strategies)");
  add_scoring_options(desc, o);
}

namespace {

// The entries of --prompt-file: ("", FILE) or (TASK, FILE) pairs.
std::vector<std::pair<std::string, std::string>> prompt_files(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  if (text.empty()) return out;
  if (text.find('=') == std::string::npos) return {{"", text}};
  for (size_t a = 0, b; a <= text.size(); a = b + 1) {
    b = std::min(text.find(',', a), text.size());
    const std::string item = text.substr(a, b - a);
    const size_t eq = item.find('=');
    out.emplace_back(eq == std::string::npos ? "" : item.substr(0, eq),
                     eq == std::string::npos ? item : item.substr(eq + 1));
  }
  return out;
}

}  // namespace

std::string prompt_file_for(const TaskOptions& o, const std::string& task) {
  for (const auto& [t, f] : prompt_files(o.prompt_file))
    if (t.empty() || t == task) return f;
  return "";
}

std::vector<std::string> validate_task_options(const TaskOptions& o) {
  std::vector<std::string> problems;
  std::vector<std::string> known = task_names();
  known.push_back("dispatch");
  for (const auto& [t, f] : prompt_files(o.prompt_file)) {
    if (f.empty()) problems.push_back(format("--prompt-file: no file in '%s'", o.prompt_file.c_str()));
    else if (!std::filesystem::is_regular_file(f))
      problems.push_back(format("--prompt-file %s: not a readable file", f.c_str()));
    if (!t.empty() && std::find(known.begin(), known.end(), t) == known.end())
      problems.push_back(format("--prompt-file %s=%s: unknown task (tasks, or dispatch)",
                                t.c_str(), f.c_str()));
  }
  if (o.scoring != "clean" && o.scoring != "reference")
    problems.push_back(format("--scoring: expected clean or reference, found '%s'", o.scoring.c_str()));
  if (!(o.code_timeout > 0) || !std::isfinite(o.code_timeout))
    problems.push_back(format("--code-timeout: expected a positive number of seconds, found %g",
                              o.code_timeout));
  if (o.code_memory_mb < 64)
    problems.push_back(format("--code-memory-mb: expected at least 64 (python needs it), found %zu",
                              o.code_memory_mb));
  if (o.code_parallel < 0)
    problems.push_back(format("--code-parallel: expected 0 (cores) or a positive count, found %d",
                              o.code_parallel));
  return problems;
}

void apply_prompt_file(Task& task, const TaskOptions& o, const std::string& as) {
  const std::string file = prompt_file_for(o, as.empty() ? std::string(task.name()) : as);
  if (file.empty()) return;
  task.set_prompt_template(load_prompt_file(file, task.prompt_template()));
}

sandbox::Limits sandbox_limits(const TaskOptions& o) {
  sandbox::Limits l;
  l.wall_seconds = o.code_timeout;
  l.cpu_seconds = static_cast<int>(std::ceil(o.code_timeout));
  l.memory_bytes = o.code_memory_mb << 20;
  return l;
}

std::unique_ptr<sandbox::Sandbox> make_sandbox(const TaskOptions& o) {
  if (!o.allow_code_execution) return nullptr;
  return std::make_unique<sandbox::Sandbox>(sandbox_limits(o), o.code_parallel);
}

void require_code_execution_allowed(const Task& task, const TaskOptions& o) {
  T2_CHECK(!task.runs_code() || o.allow_code_execution,
           "task '%s' runs model-generated Python code; pass --allow-code-execution to run it in "
           "the sandbox (see docs/tasks.md for what the sandbox isolates)",
           std::string(task.name()).c_str());
}

}  // namespace t2::tasks
