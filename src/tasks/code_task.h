// Shared base of the code benchmarks (MBPP, HumanEval): the completion is cut at the closing code
// fence, joined with the task's program prefix, and run against the task's tests in the sandbox.
// Concrete tasks say how to assemble the program and the tests.
#pragma once

#include "tasks/task.h"
#include "tasks/sandbox/sandbox.h"

namespace t2::tasks {

class CodeTask : public Task {
 public:
  bool runs_code() const override { return true; }
  Category category() const override { return Category::code; }

  // The code the model wrote: the completion cut at the closing fence.
  std::string extract(const Sample& sample, std::string_view completion,
                      ScoringMode mode) const override;
  // The full program (prefix from the sample + extracted code) and the test code.
  virtual sandbox::Job make_job(const Sample& sample, const std::string& code) const = 0;

  Verdict score(const Sample& sample, std::string_view completion,
                const ScoreOptions& options) const override;
  std::vector<Verdict> score_many(const std::vector<std::pair<const Sample*, std::string>>& items,
                                  const ScoreOptions& options) const override;

 protected:
  using Task::Task;
};

// Names of the functions and classes a Python program defines at its top level (`def NAME`,
// `class NAME` at the start of a line), in order: the entry points of a reference solution.
std::vector<std::string> top_level_definitions(const std::string& code);

// Maps a sandbox result to a verdict (prediction = the extracted code).
Verdict verdict_from_result(const sandbox::Result& r, std::string code);

}  // namespace t2::tasks
