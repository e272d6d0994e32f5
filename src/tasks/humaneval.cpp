// HumanEval (task_id, prompt, canonical_solution, test, entry_point; shipped as .jsonl.gz). The
// assistant turn is pre-filled with a code fence and the function prompt, so the completion is the
// body; program = prompt + body; tests = the task's check() plus check(entry_point).
#include "base/error.h"
#include "tasks/code_task.h"
#include "tasks/fields.h"
#include "tasks/registry.h"

namespace t2::tasks {
namespace {

PromptTemplate humaneval_template() {
  return instruction_template(
      "",
      "Instruction:\nFinish the Python function below. Keep its signature and docstring and "
      "write a complete, working implementation.\n```python\n{prompt}\n```\n\nResponse:",
      "```python\n{prompt}", 512, 1024);
}

class HumanEvalTask final : public CodeTask {
 public:
  HumanEvalTask() : CodeTask(humaneval_template()) {}
  std::string_view name() const override { return "humaneval"; }

  Sample parse_record(const nlohmann::json& record, size_t) const override {
    Sample s;
    s.id = field_string(record, "task_id");
    const std::string prompt = field_string(record, "prompt");
    s.question = prompt;
    s.gold = field_string(record, "canonical_solution");
    s.category = Category::code;
    const std::string entry = field_string(record, "entry_point");
    T2_CHECK(!entry.empty(), "field 'entry_point': expected a function name");
    s.extra = {{"prompt", prompt}, {"test", field_string(record, "test")}, {"entry_point", entry}};
    return s;
  }

  PromptVariables prompt_variables(const Sample& sample) const override {
    return {{"question", sample.question}, {"prompt", sample.extra.at("prompt").get<std::string>()}};
  }

  sandbox::Job make_job(const Sample& sample, const std::string& code) const override {
    const std::string program = sample.extra.at("prompt").get<std::string>() + code;
    const std::string tests = sample.extra.at("test").get<std::string>() + "\n\ncheck(" +
                              sample.extra.at("entry_point").get<std::string>() + ")\n";
    return {program, tests, {sample.extra.at("entry_point").get<std::string>()}};
  }

  std::string gold_completion(const Sample& sample) const override { return sample.gold + "\n```\n"; }
};

}  // namespace

std::unique_ptr<Task> make_humaneval_task() { return std::make_unique<HumanEvalTask>(); }

}  // namespace t2::tasks
