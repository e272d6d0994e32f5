// MBPP (task_id, text, code, test_list, test_setup_code, challenge_test_list). As in the reference,
// the model sees the problem and ONE test (the first of test_list, which names the function and
// shows a call); the program is the code it wrote; it passes when the base tests (test_setup_code
// + all of test_list, not the challenge tests) pass in the sandbox. Prompt files may show every
// graded test instead with the {tests} placeholder.
#include "base/error.h"
#include "tasks/code_task.h"
#include "tasks/fields.h"
#include "tasks/registry.h"

namespace t2::tasks {
namespace {

PromptTemplate mbpp_template() {
  return instruction_template(
      "",
      "Instruction:\nYou are a skilled Python programmer. Solve the task below with a Python "
      "function.\n{question}\nYour code has to pass this test:\n\n{test}\n\nResponse:",
      "```python\n", 512, 1024);
}

std::vector<std::string> string_list(const nlohmann::json& record, const char* key) {
  const auto& v = field_any(record, key);
  T2_CHECK(v.is_array(), "field '%s': expected an array of strings, found %s", key, v.type_name());
  std::vector<std::string> out;
  for (const auto& e : v) {
    T2_CHECK(e.is_string(), "field '%s': expected strings, found a %s element", key, e.type_name());
    out.push_back(e.get<std::string>());
  }
  return out;
}

class MbppTask final : public CodeTask {
 public:
  MbppTask() : CodeTask(mbpp_template()) {}
  std::string_view name() const override { return "mbpp"; }

  Sample parse_record(const nlohmann::json& record, size_t) const override {
    Sample s;
    s.id = field_id(record, "task_id");
    s.question = field_string(record, "text");
    s.gold = field_string(record, "code");
    s.category = Category::code;
    const auto tests = string_list(record, "test_list");
    T2_CHECK(!tests.empty(), "field 'test_list': expected at least one test");
    std::string setup;
    if (record.contains("test_setup_code")) setup = field_string(record, "test_setup_code");
    std::vector<std::string> challenge;
    if (record.contains("challenge_test_list")) challenge = string_list(record, "challenge_test_list");
    s.extra = {{"test_list", tests}, {"test_setup_code", setup}, {"challenge_test_list", challenge}};
    return s;
  }

  // {test}: the first test (the default prompt); {tests}: every graded test, one per line.
  PromptVariables prompt_variables(const Sample& sample) const override {
    const auto& list = sample.extra.at("test_list");
    std::string tests;
    for (const auto& t : list) tests += t.get<std::string>() + "\n";
    if (!tests.empty()) tests.pop_back();
    return {{"question", sample.question}, {"test", list.at(0).get<std::string>()}, {"tests", tests}};
  }

  sandbox::Job make_job(const Sample& sample, const std::string& code) const override {
    std::string tests = sample.extra.at("test_setup_code").get<std::string>() + "\n";
    for (const auto& t : sample.extra.at("test_list")) tests += t.get<std::string>() + "\n";
    return {code, tests, top_level_definitions(sample.gold)};  // the functions the task asks for
  }

  std::string gold_completion(const Sample& sample) const override { return sample.gold + "\n```\n"; }
};

}  // namespace

std::unique_ptr<Task> make_mbpp_task() { return std::make_unique<MbppTask>(); }

}  // namespace t2::tasks
