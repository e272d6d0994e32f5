// MATH (the PRM800K "MATH-500" test split and files of the same schema). Clean: gold = the answer
// field; the prediction is the last "the answer is" statement or \boxed{}, whichever comes last;
// equivalence per math_equiv.h. Reference: the reference scorer's verdict (reference/
// math_reference.h), with its gold taken from the solution's last \boxed{}.
#include <algorithm>

#include "base/error.h"
#include "tasks/fields.h"
#include "tasks/math_equiv.h"
#include "tasks/reference/math_reference.h"
#include "tasks/registry.h"
#include "tasks/text.h"

namespace t2::tasks {
namespace {

PromptTemplate math_template() {
  return instruction_template(
      "Solve the following math problem step by step. Put the final answer, and only the final "
      "answer, inside \\boxed{}.",
      "{question}", "", 1024, 2048);
}

class MathTask final : public Task {
 public:
  MathTask() : Task(math_template()) {}
  std::string_view name() const override { return "math"; }
  Category category() const override { return Category::math; }

  Sample parse_record(const nlohmann::json& record, size_t) const override {
    Sample s;
    s.id = field_string(record, "unique_id");
    s.question = field_string(record, "problem");
    s.gold = field_string(record, "answer");
    T2_CHECK(!trim(s.gold).empty(), "field 'answer': expected a non-empty answer");
    s.category = Category::math;
    s.extra = {{"solution", field_string(record, "solution")}};
    if (record.contains("subject")) s.extra["subject"] = record["subject"];
    if (record.contains("level")) s.extra["level"] = record["level"];
    return s;
  }

  std::string extract(const Sample&, std::string_view completion, ScoringMode mode) const override {
    if (mode == ScoringMode::reference) return reference::math_extract(completion).value_or("");
    // Clean: whichever comes last of the last "The answer is" statement (any case, optional
    // colon, up to the line end; a \boxed{} inside it wins) and the last \boxed{}.
    const std::string lower = to_lower(completion);
    const size_t at = lower.rfind("the answer is");
    const size_t box_at = std::max(completion.rfind("\\boxed"), completion.rfind("\\fbox"),
                                   [](size_t a, size_t b) { return a + 1 < b + 1; });  // npos lowest
    const bool box_later = box_at != std::string::npos && (at == std::string::npos || box_at > at);
    if (at != std::string::npos && !box_later) {
      std::string_view rest = completion.substr(at + 13);
      const size_t nl = rest.find('\n');
      if (nl != std::string_view::npos) rest = rest.substr(0, nl);
      if (auto b = last_boxed(rest)) return trim(*b);
      std::string r = trim(rest);
      if (!r.empty() && r[0] == ':') r = trim(r.substr(1));
      if (!r.empty()) return r;
    }
    return trim(last_boxed(completion).value_or(""));
  }

  Verdict score(const Sample& sample, std::string_view completion,
                const ScoreOptions& options) const override {
    if (options.mode == ScoringMode::reference) return score_reference(sample, completion);
    Verdict v;
    v.prediction = extract(sample, completion, options.mode);
    v.status = v.prediction.empty() ? "no_answer" : "ok";
    v.correct = !v.prediction.empty() && math_answers_equivalent(v.prediction, sample.gold);
    return v;
  }

  std::string gold_completion(const Sample& sample) const override {
    return "So the final result is \\boxed{" + sample.gold + "}.";
  }

 private:
  static Verdict score_reference(const Sample& sample, std::string_view completion) {
    using O = reference::MathVerdict::Outcome;
    const auto prediction = reference::math_extract(completion);
    const auto gold = reference::math_last_boxed(sample.extra.at("solution").get<std::string>());
    const reference::MathVerdict r = reference::math_is_equiv(gold, prediction);
    Verdict v;
    v.prediction = prediction.value_or("");
    v.correct = r.outcome == O::correct;
    v.status = r.outcome == O::raises || r.outcome == O::undetermined ? "error"
               : prediction                                          ? "ok"
                                                                     : "no_answer";
    if (r.outcome == O::raises)
      v.detail = "the reference scorer raises " + r.detail + " on this prediction, which stops its run";
    if (r.outcome == O::undetermined)
      v.detail = "t2 does not reproduce the reference's sympy step for this answer: " + r.detail;
    return v;
  }
};

}  // namespace

std::unique_ptr<Task> make_math_task() { return std::make_unique<MathTask>(); }

}  // namespace t2::tasks
