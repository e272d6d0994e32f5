// The cls task (records {id, question, label}) with the one classification prompt, the dispatch
// extractor and the cls set builder.
#include "tasks/classify.h"

#include <optional>

#include "base/error.h"
#include "tasks/fields.h"
#include "tasks/registry.h"
#include "tasks/splits.h"
#include "tasks/text.h"

namespace t2::tasks {

namespace {

// The reference's re.search(r"\\boxed{([^}]*)}"): the first "\boxed{" that a "}" follows, and the
// text up to that "}".
std::optional<std::string> reference_box(std::string_view completion) {
  const size_t at = completion.find("\\boxed{");
  if (at == std::string_view::npos) return std::nullopt;
  const size_t close = completion.find('}', at + 7);
  if (close == std::string_view::npos) return std::nullopt;
  return std::string(completion.substr(at + 7, close - at - 7));
}

bool task_label(const std::string& label) { return label == "code" || label == "math" || label == "reasoning"; }

}  // namespace

std::string dispatch_label(std::string_view completion, ScoringMode mode) {
  std::string label;
  if (mode == ScoringMode::reference) {
    label = reference_box(completion).value_or("");
  } else if (const auto box = first_boxed(completion)) {
    label = to_lower(trim(*box));
  }
  return task_label(label) ? label : "other";
}

ClassificationSets build_classification_sets(const std::vector<Sample>& sources, uint64_t seed) {
  std::vector<Sample> pool;
  pool.reserve(sources.size());
  for (const auto& s : sources) {
    Sample c;
    c.id = std::string(category_name(s.category)) + "/" + s.id;
    c.question = s.question;
    c.gold = category_name(s.category);
    c.category = s.category;
    c.line = s.line;
    pool.push_back(std::move(c));
  }
  const auto order = seeded_permutation(pool.size(), seed);
  const size_t n_train = pool.size() * 4 / 5;
  ClassificationSets sets;
  for (size_t k = 0; k < order.size(); ++k)
    (k < n_train ? sets.train : sets.test).push_back(pool[order[k]]);
  return sets;
}

namespace {

// The one classification prompt (pass 1 and the cls task).
PromptTemplate cls_template() {
  return instruction_template(
      "Decide which kind of problem the question below is. Answer with exactly one label in "
      "\\boxed{}: \\boxed{code} for programming tasks, \\boxed{math} for mathematics, "
      "\\boxed{reasoning} for reasoning or knowledge questions, and \\boxed{other} for anything "
      "else. Do not solve the question.",
      "{question}", "", 1024, 2048);
}

class ClsTask final : public Task {
 public:
  ClsTask() : Task(cls_template()) {}
  std::string_view name() const override { return "cls"; }
  Category category() const override { return Category::reasoning; }

  Sample parse_record(const nlohmann::json& record, size_t) const override {
    Sample s;
    s.id = field_id(record, "id");
    s.question = field_string(record, "question");
    s.gold = field_string(record, "label");
    T2_CHECK(s.gold == "math" || s.gold == "code" || s.gold == "reasoning",
             "field 'label': expected math, code or reasoning, found '%s'", s.gold.c_str());
    s.category = s.gold == "math" ? Category::math : s.gold == "code" ? Category::code : Category::reasoning;
    return s;
  }

  // The label the completion gives; reference: the raw content of the reference's first box,
  // which must equal the gold exactly (as the reference's cls task compares it).
  std::string extract(const Sample&, std::string_view completion, ScoringMode mode) const override {
    if (mode == ScoringMode::reference) return reference_box(completion).value_or("");
    return dispatch_label(completion, mode);
  }

  Verdict score(const Sample& sample, std::string_view completion, const ScoreOptions& o) const override {
    Verdict v;
    v.prediction = extract(sample, completion, o.mode);
    const bool boxed = o.mode == ScoringMode::reference ? reference_box(completion).has_value()
                                                        : first_boxed(completion).has_value();
    v.status = boxed ? "ok" : "no_answer";
    v.correct = v.prediction == sample.gold;
    return v;
  }

  std::string gold_completion(const Sample& sample) const override {
    return "This question needs \\boxed{" + sample.gold + "}.";
  }
};

}  // namespace

std::unique_ptr<Task> make_cls_task() { return std::make_unique<ClsTask>(); }

}  // namespace t2::tasks
