// GSM8K: grade-school word problems. Clean: gold = the number after "####" in the answer field,
// prediction = the last number of the completion with signs and thousands separators. Reference:
// the reference scorer's verdict (reference/gsm8k_reference.h), where gold and prediction are both
// the last \d*\.?\d+ match, so "1,450,000" reads as 0 on both sides and signs are dropped.
#include <cmath>
#include <cstdlib>

#include "base/error.h"
#include "tasks/fields.h"
#include "tasks/reference/gsm8k_reference.h"
#include "tasks/registry.h"
#include "tasks/text.h"

namespace t2::tasks {
namespace {

PromptTemplate gsm8k_template() {
  return instruction_template(
      "Below is an instruction that describes a task. Write a response that completes the "
      "request. Work through the problem step by step and end with the final numeric answer.",
      "{question}", "", 512, 1024);
}

// The gold number of an answer field "...\n#### 1,234": commas removed, sign kept.
std::string gold_number(const std::string& answer) {
  const size_t at = answer.rfind("####");
  T2_CHECK(at != std::string::npos, "field 'answer': expected a final '#### NUMBER' line, found none");
  std::string g = trim(std::string_view(answer).substr(at + 4));
  std::string digits;
  for (char c : g)
    if (c != ',') digits += c;
  char* end = nullptr;
  std::strtod(digits.c_str(), &end);
  T2_CHECK(!digits.empty() && end && *end == '\0',
           "field 'answer': expected a number after '####', found '%s'", g.c_str());
  return digits;
}

class Gsm8kTask final : public Task {
 public:
  Gsm8kTask() : Task(gsm8k_template()) {}
  std::string_view name() const override { return "gsm8k"; }
  Category category() const override { return Category::math; }

  Sample parse_record(const nlohmann::json& record, size_t line_index) const override {
    Sample s;
    s.id = std::to_string(line_index);
    s.question = field_string(record, "question");
    const std::string answer = field_string(record, "answer");
    s.gold = gold_number(answer);
    s.category = Category::math;
    s.extra = {{"solution", answer}};
    return s;
  }

  std::string extract(const Sample&, std::string_view completion, ScoringMode mode) const override {
    if (mode == ScoringMode::reference) {
      const auto n = reference::gsm8k_extract_number(completion);
      return n ? n->text : std::string();
    }
    const auto nums = find_numbers(completion);
    return nums.empty() ? std::string() : nums.back().text;
  }

  Verdict score(const Sample& sample, std::string_view completion,
                const ScoreOptions& options) const override {
    Verdict v;
    if (options.mode == ScoringMode::reference) {
      const auto r = reference::gsm8k_reference_verdict(sample.extra.at("solution").get<std::string>(), completion);
      v.prediction = r.prediction ? r.prediction->text : std::string();
      v.correct = r.correct;
      v.status = !r.error.empty() ? "error" : r.prediction ? "ok" : "no_answer";
      v.detail = r.error;
      return v;
    }
    v.prediction = extract(sample, completion, options.mode);
    v.status = v.prediction.empty() ? "no_answer" : "ok";
    const double p = std::strtod(v.prediction.c_str(), nullptr);
    const double g = std::strtod(sample.gold.c_str(), nullptr);
    v.correct = !v.prediction.empty() && std::fabs(p - g) <= 1e-9 * std::max(1.0, std::fabs(g));
    return v;
  }

  std::string gold_completion(const Sample& sample) const override {
    return sample.extra.at("solution").get<std::string>();
  }
};

}  // namespace

std::unique_ptr<Task> make_gsm8k_task() { return std::make_unique<Gsm8kTask>(); }

}  // namespace t2::tasks
