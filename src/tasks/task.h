// The task interface shared by every benchmark: load a dataset file into samples, build the prompt
// for a sample, extract a prediction from a completion and score it. Text in, verdict out: nothing
// here knows about models or tokenizers (chat rendering happens in tokenizer/), and code execution
// is delegated to tasks/sandbox/.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/line_reader.h"  // kDefaultMaxLineBytes
#include "tasks/prompt.h"

namespace t2::tasks {

namespace sandbox {
class Sandbox;
}

// The expert group a task belongs to (PROTOCOL §2/§4); vision: image question answering.
enum class Category { math, code, reasoning, vision };
const char* category_name(Category c);

// clean: our extraction and equivalence rules (default). reference: the reference implementation's
// quirks, for numbers comparable with published ones (see docs/tasks.md for each task's quirk).
enum class ScoringMode { clean, reference };
ScoringMode parse_scoring_mode(const std::string& text);  // throws on anything but clean|reference

// One benchmark item. `extra` carries the task-specific fields (ARC choices, code tests, ...).
struct Sample {
  std::string id;        // the dataset's own id; GSM8K: 0-based line index as a string
  std::string question;  // problem / question / instruction text (also used for dispatch)
  std::string gold;      // gold answer (number, LaTeX, letter; code: the reference solution)
  Category category = Category::math;
  size_t line = 0;       // 1-based line in the source file
  nlohmann::json extra;  // task-specific fields
};

// A record that could not be turned into a sample; loading goes on without it.
struct LoadError {
  std::string file;
  size_t line = 0;
  std::string message;  // "FILE:LINE: ..." ready to print
};

struct Dataset {
  std::string path;
  std::vector<Sample> samples;
  std::vector<LoadError> errors;
};

// Outcome of scoring one completion. status: "ok" (an answer was found and compared),
// "no_answer" (nothing extractable), "fail" (code ran and a test failed or it crashed),
// "timeout", "error" (no verdict: a sandbox or harness problem, or with reference scoring an input
// on which the reference scorer raises or whose verdict t2 cannot reproduce; `detail` says which),
// "not_run" (code execution not allowed).
struct Verdict {
  std::string prediction;
  bool correct = false;
  std::string status;
  std::string detail;  // why the status is "error" (empty otherwise)
  // Partial credit in [0, 1] for metrics that give it (VQA accuracy); -1 for right/wrong metrics,
  // whose credit is `correct`.
  double credit = -1;
};

struct ScoreOptions {
  ScoringMode mode = ScoringMode::clean;
  sandbox::Sandbox* sandbox = nullptr;  // code tasks only; nullptr = execution not allowed
};

// A benchmark. Implementations are stateless apart from their prompt template, so one instance
// may be used from several threads for build_prompt/extract/score at once.
class Task {
 public:
  virtual ~Task() = default;
  virtual std::string_view name() const = 0;
  virtual Category category() const = 0;
  virtual bool runs_code() const { return false; }

  // Reads a JSONL (or .jsonl.gz) file. Bad records become LoadErrors naming file and line.
  // Throws t2::Error when the file cannot be read at all, is not a file (a directory, a device),
  // holds no records (empty or only blank lines), or has a line longer than max_line_bytes. Tasks
  // whose published format is not JSONL (TextVQA, OK-VQA) read it in their own override.
  virtual Dataset load(const std::string& path,
                       size_t max_line_bytes = io::kDefaultMaxLineBytes) const;
  // Turns one parsed record into a sample; throws t2::Error with a message (no file/line prefix).
  virtual Sample parse_record(const nlohmann::json& record, size_t line_index) const = 0;

  // The prompt for a sample, rendered from this task's template (default or replaced).
  Prompt build_prompt(const Sample& sample) const;
  const PromptTemplate& prompt_template() const { return template_; }
  void set_prompt_template(PromptTemplate t) { template_ = std::move(t); }
  // Values for the template placeholders ({question}, and task-specific ones).
  virtual PromptVariables prompt_variables(const Sample& sample) const;

  // The prediction text a completion yields ("" when none).
  virtual std::string extract(const Sample& sample, std::string_view completion,
                              ScoringMode mode) const = 0;
  // Scores one completion. Code tasks need options.sandbox.
  virtual Verdict score(const Sample& sample, std::string_view completion,
                        const ScoreOptions& options) const = 0;
  // Scores many completions; code tasks run them in parallel in the sandbox.
  virtual std::vector<Verdict> score_many(
      const std::vector<std::pair<const Sample*, std::string>>& items,
      const ScoreOptions& options) const;

  // A completion that must score correct for the sample (the oracle used in tests).
  virtual std::string gold_completion(const Sample& sample) const = 0;

 protected:
  explicit Task(PromptTemplate t) : template_(std::move(t)) {}

 private:
  PromptTemplate template_;
};

// Task by name: gsm8k, math, arc, mbpp, humaneval, cls, and the image tasks textvqa and okvqa
// (VqaTask, tasks/vqa.h: their samples name an image and need a vision-language model). Throws
// listing the valid names.
std::unique_ptr<Task> make_task(const std::string& name);
// The names make_task accepts.
std::vector<std::string> task_names();

}  // namespace t2::tasks
