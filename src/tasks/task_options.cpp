// Implementation of the task option helpers.
#include "tasks/task_options.h"

#include <cmath>

#include "base/error.h"

namespace t2::tasks {

std::string validate_task_options(const TaskOptions& o) {
  std::string problems;
  if (o.scoring != "clean" && o.scoring != "reference")
    problems += format("--scoring: expected clean or reference, found '%s'\n", o.scoring.c_str());
  if (!(o.code_timeout > 0) || !std::isfinite(o.code_timeout))
    problems += format("--code-timeout: expected a positive number of seconds, found %g\n", o.code_timeout);
  if (o.code_memory_mb < 64)
    problems += format("--code-memory-mb: expected at least 64 (python needs it), found %zu\n", o.code_memory_mb);
  if (o.code_parallel < 0)
    problems += format("--code-parallel: expected 0 (cores) or a positive count, found %d\n", o.code_parallel);
  return problems;
}

void apply_prompt_file(Task& task, const TaskOptions& o) {
  if (o.prompt_file.empty()) return;
  task.set_prompt_template(load_prompt_file(o.prompt_file, task.prompt_template()));
}

sandbox::Limits sandbox_limits(const TaskOptions& o) {
  sandbox::Limits l;
  l.wall_seconds = o.code_timeout;
  l.cpu_seconds = static_cast<int>(std::ceil(o.code_timeout));
  l.memory_bytes = o.code_memory_mb << 20;
  return l;
}

void require_code_execution_allowed(const Task& task, const TaskOptions& o) {
  T2_CHECK(!task.runs_code() || o.allow_code_execution,
           "task '%s' runs model-generated Python code; pass --allow-code-execution to run it in "
           "the sandbox (see docs/tasks.md for what the sandbox isolates)",
           std::string(task.name()).c_str());
}

}  // namespace t2::tasks
