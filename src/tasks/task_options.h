// Settings of the tasks module that commands expose as options (same names on the command line
// and in job files, in every command that scores answers: score, eval, search, train): scoring
// mode, prompt file, code-execution opt-in and sandbox limits.
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <string>
#include <vector>

#include "tasks/sandbox/sandbox.h"
#include "tasks/task.h"

namespace t2::tasks {

struct TaskOptions {
  std::string scoring = "clean";     // --scoring clean|reference
  // --prompt-file: FILE (the prompt template of every task of the run) or TASK=FILE,... (per task;
  // the key "dispatch" names the first-pass prompt of two-pass strategies).
  std::string prompt_file;
  bool allow_code_execution = false; // --allow-code-execution: run generated code (code tasks)
  double code_timeout = 10.0;        // --code-timeout: wall seconds per program
  size_t code_memory_mb = 2048;      // --code-memory-mb: address-space limit per program
  int code_parallel = 0;             // --code-parallel: programs at once (0 = cores)
};

// Registers --scoring, --allow-code-execution, --code-timeout, --code-memory-mb and --code-parallel
// (what scoring answers needs) on desc, bound to o.
void add_scoring_options(boost::program_options::options_description& desc, TaskOptions& o);
// The scoring options and --prompt-file (commands that build prompts).
void add_task_options(boost::program_options::options_description& desc, TaskOptions& o);

// Every problem with the options, one each; empty when they are fine.
std::vector<std::string> validate_task_options(const TaskOptions& o);

// The prompt file --prompt-file gives for a task name (or "dispatch"), "" for none.
std::string prompt_file_for(const TaskOptions& o, const std::string& task);
// Applies the prompt file for `as` (default: the task's own name), if any, to the task. Throws
// t2::Error naming the file on bad content.
void apply_prompt_file(Task& task, const TaskOptions& o, const std::string& as = "");

// The sandbox limits the options ask for.
sandbox::Limits sandbox_limits(const TaskOptions& o);
// The sandbox the options ask for: nullptr unless code execution is allowed.
std::unique_ptr<sandbox::Sandbox> make_sandbox(const TaskOptions& o);

// Throws, before anything is generated or run, when a code task is asked for without
// --allow-code-execution.
void require_code_execution_allowed(const Task& task, const TaskOptions& o);

}  // namespace t2::tasks
