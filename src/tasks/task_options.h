// Settings of the tasks module that commands expose as options (same names on the command line
// and in job files): scoring mode, prompt file, code-execution opt-in and sandbox limits. Plain
// data; the command registers them on its option description (see cli/cmd_score.cpp).
#pragma once

#include <string>

#include "tasks/sandbox/sandbox.h"
#include "tasks/task.h"

namespace t2::tasks {

struct TaskOptions {
  std::string scoring = "clean";     // --scoring clean|reference
  std::string prompt_file;           // --prompt-file: replaces the task's prompt template
  bool allow_code_execution = false; // --allow-code-execution: run generated code (code tasks)
  double code_timeout = 10.0;        // --code-timeout: wall seconds per program
  size_t code_memory_mb = 2048;      // --code-memory-mb: address-space limit per program
  int code_parallel = 0;             // --code-parallel: programs at once (0 = cores)
};

// Every problem with the options, one per line; empty when they are fine.
std::string validate_task_options(const TaskOptions& o);

// Applies the prompt file (if any) to the task. Throws t2::Error naming the file on bad content.
void apply_prompt_file(Task& task, const TaskOptions& o);

// The sandbox limits the options ask for.
sandbox::Limits sandbox_limits(const TaskOptions& o);

// Throws, before anything is generated or run, when a code task is asked for without
// --allow-code-execution.
void require_code_execution_allowed(const Task& task, const TaskOptions& o);

}  // namespace t2::tasks
