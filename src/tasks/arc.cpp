// ARC (AI2 Reasoning Challenge, original jsonl: id, question.stem, question.choices[label, text],
// answerKey). Options are shown with the dataset's own labels (A-E or 1-5). Clean extraction:
// "answer is (X)", then "Answer: X", then the last standalone label, only the question's own labels,
// the last match of each rule. Reference: the reference scorer's verdict (reference/arc_reference.h:
// letters A-J, first matches, and its seeded guess when no letter is found).
#include <cctype>

#include "base/error.h"
#include "tasks/fields.h"
#include "tasks/reference/arc_reference.h"
#include "tasks/registry.h"
#include "tasks/text.h"

namespace t2::tasks {
namespace {

PromptTemplate arc_template() {
  return instruction_template(
      "Answer the multiple-choice question below. Reason about it step by step, then finish with "
      "a sentence of the form \"the answer is (X)\", where X is the label of the option you chose.",
      "{question}", "Let's think about this step by step.", 512, 1024);
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Position of the label right after `pos` in text: skips spaces, ':' and one '('; the label must be
// followed by a non-word character. Returns the label or "".
std::string label_after(std::string_view text, size_t pos, const std::vector<std::string>& labels) {
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == ':' || text[pos] == '*')) ++pos;
  if (pos < text.size() && text[pos] == '(') ++pos;
  if (pos >= text.size()) return "";
  const std::string c(1, text[pos]);
  if (pos + 1 < text.size() && is_word_char(text[pos + 1])) return "";
  for (const auto& l : labels)
    if (l == c) return c;
  return "";
}

// All matches of `phrase` (case-insensitive) followed by a label, in order.
std::vector<std::string> phrase_matches(std::string_view text, std::string_view phrase,
                                        const std::vector<std::string>& labels) {
  std::vector<std::string> out;
  const std::string lower = to_lower(text);
  const std::string p = to_lower(phrase);
  size_t pos = 0;
  while ((pos = lower.find(p, pos)) != std::string::npos) {
    std::string l = label_after(text, pos + p.size(), labels);
    if (!l.empty()) out.push_back(l);
    pos += p.size();
  }
  return out;
}

class ArcTask final : public Task {
 public:
  ArcTask() : Task(arc_template()) {}
  std::string_view name() const override { return "arc"; }
  Category category() const override { return Category::reasoning; }

  Sample parse_record(const nlohmann::json& record, size_t) const override {
    Sample s;
    s.id = field_string(record, "id");
    const auto& q = field_any(record, "question");
    const std::string stem = field_string(q, "stem");
    const auto& choices = field_any(q, "choices");
    T2_CHECK(choices.is_array() && choices.size() >= 2,
             "field 'question.choices': expected an array of at least 2 options, found %s",
             choices.is_array() ? std::to_string(choices.size()).c_str() : choices.type_name());
    std::vector<std::string> labels;
    std::string lines;
    nlohmann::json opts = nlohmann::json::array();
    for (const auto& c : choices) {
      const std::string label = field_string(c, "label");
      const std::string text = field_string(c, "text");
      T2_CHECK(label.size() == 1 && std::isalnum(static_cast<unsigned char>(label[0])),
               "choice label: expected one letter or digit, found '%s'", label.c_str());
      labels.push_back(label);
      lines += label + ". " + text + "\n";
      opts.push_back({{"label", label}, {"text", text}});
    }
    s.gold = field_string(record, "answerKey");
    bool found = false;
    for (const auto& l : labels) found = found || l == s.gold;
    T2_CHECK(found, "field 'answerKey': '%s' is not one of the question's labels", s.gold.c_str());
    s.question = stem + "\n" + lines;
    while (!s.question.empty() && s.question.back() == '\n') s.question.pop_back();
    s.category = Category::reasoning;
    s.extra = {{"stem", stem}, {"choices", opts}, {"labels", labels}};
    return s;
  }

  PromptVariables prompt_variables(const Sample& sample) const override {
    std::string lines;
    for (const auto& c : sample.extra.at("choices"))
      lines += c.at("label").get<std::string>() + ". " + c.at("text").get<std::string>() + "\n";
    if (!lines.empty()) lines.pop_back();
    return {{"question", sample.question},
            {"stem", sample.extra.at("stem").get<std::string>()},
            {"choices", lines}};
  }

  std::string extract(const Sample& sample, std::string_view completion,
                      ScoringMode mode) const override {
    if (mode == ScoringMode::reference) return reference::arc_extract(completion).value_or("");
    const auto labels = sample.extra.at("labels").get<std::vector<std::string>>();
    for (std::string_view phrase : {"answer is", "answer:"}) {
      auto m = phrase_matches(completion, phrase, labels);
      if (!m.empty()) return m.back();
    }
    // Last standalone label character.
    for (size_t i = completion.size(); i-- > 0;) {
      const bool left_ok = i == 0 || !is_word_char(completion[i - 1]);
      const bool right_ok = i + 1 >= completion.size() || !is_word_char(completion[i + 1]);
      if (!left_ok || !right_ok) continue;
      for (const auto& l : labels)
        if (l[0] == completion[i]) return l;
    }
    return "";
  }

  // Reference: when no letter is found, `correct` comes from the reference's seeded guess and the
  // status stays "no_answer".
  Verdict score(const Sample& sample, std::string_view completion,
                const ScoreOptions& options) const override {
    Verdict v;
    if (options.mode == ScoringMode::reference) {
      const size_t n_options = sample.extra.at("labels").size();
      const auto r = reference::arc_reference_verdict(completion, sample.gold, n_options);
      v.prediction = r.prediction.value_or("");
      v.correct = r.correct;
      v.status = !r.error.empty() ? "error" : r.guessed ? "no_answer" : "ok";
      v.detail = r.error;
      return v;
    }
    v.prediction = extract(sample, completion, options.mode);
    v.status = v.prediction.empty() ? "no_answer" : "ok";
    v.correct = !v.prediction.empty() && v.prediction == sample.gold;
    return v;
  }

  std::string gold_completion(const Sample& sample) const override {
    return " Comparing the options, the answer is (" + sample.gold + ").";
  }
};

}  // namespace

std::unique_ptr<Task> make_arc_task() { return std::make_unique<ArcTask>(); }

}  // namespace t2::tasks
