// The parts of the task interface every benchmark shares: loading with per-record errors, prompt
// rendering, sequential batch scoring, the field helpers and the task registry.
#include "tasks/task.h"

#include "base/error.h"
#include "io/file_kind.h"  // require_regular_file
#include "io/jsonl.h"
#include "tasks/fields.h"
#include "tasks/registry.h"

namespace t2::tasks {

const char* category_name(Category c) {
  switch (c) {
    case Category::math: return "math";
    case Category::code: return "code";
    case Category::reasoning: return "reasoning";
    case Category::vision: return "vision";
  }
  return "?";
}

ScoringMode parse_scoring_mode(const std::string& text) {
  if (text == "clean") return ScoringMode::clean;
  if (text == "reference") return ScoringMode::reference;
  T2_FAIL("scoring mode: expected 'clean' or 'reference', found '%s'", text.c_str());
}

std::string field_string(const nlohmann::json& record, const char* key) {
  const auto& v = field_any(record, key);
  T2_CHECK(v.is_string(), "field '%s': expected a string, found %s", key, v.type_name());
  return v.get<std::string>();
}

std::string field_id(const nlohmann::json& record, const char* key) {
  const auto& v = field_any(record, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  T2_FAIL("field '%s': expected a string or integer id, found %s", key, v.type_name());
}

const nlohmann::json& field_any(const nlohmann::json& record, const char* key) {
  T2_CHECK(record.is_object(), "expected a JSON object, found %s", record.type_name());
  const auto it = record.find(key);
  T2_CHECK(it != record.end(), "missing field '%s'", key);
  return *it;
}

Dataset Task::load(const std::string& path, size_t max_line_bytes) const {
  Dataset ds;
  ds.path = path;
  size_t index = 0;
  io::require_regular_file(path, std::string(name()) + " data file");
  auto records = io::read_jsonl(path, max_line_bytes);
  io::require_records(records, path);
  for (auto& rec : records) {
    const size_t line_index = index++;
    if (!rec.ok()) {
      ds.errors.push_back({path, rec.line, rec.error});
      continue;
    }
    try {
      Sample s = parse_record(rec.value, line_index);
      s.line = rec.line;
      ds.samples.push_back(std::move(s));
    } catch (const Error& e) {
      ds.errors.push_back(
          {path, rec.line, format("%s:%zu: %s record: %s", path.c_str(), rec.line,
                                  std::string(name()).c_str(), e.what())});
    }
  }
  return ds;
}

PromptVariables Task::prompt_variables(const Sample& sample) const {
  return {{"question", sample.question}};
}

Prompt Task::build_prompt(const Sample& sample) const {
  return render_prompt(template_, prompt_variables(sample));
}

std::vector<Verdict> Task::score_many(const std::vector<std::pair<const Sample*, std::string>>& items,
                                      const ScoreOptions& options) const {
  std::vector<Verdict> out;
  out.reserve(items.size());
  for (const auto& [sample, completion] : items) out.push_back(score(*sample, completion, options));
  return out;
}

std::vector<std::string> task_names() {
  return {"gsm8k", "math", "arc", "mbpp", "humaneval", "cls", "textvqa", "okvqa"};
}

std::unique_ptr<Task> make_task(const std::string& name) {
  if (name == "gsm8k") return make_gsm8k_task();
  if (name == "math") return make_math_task();
  if (name == "arc") return make_arc_task();
  if (name == "mbpp") return make_mbpp_task();
  if (name == "humaneval") return make_humaneval_task();
  if (name == "cls") return make_cls_task();
  if (name == "textvqa") return make_textvqa_task();
  if (name == "okvqa") return make_okvqa_task();
  T2_FAIL("unknown task '%s'; expected one of gsm8k, math, arc, mbpp, humaneval, cls, textvqa, "
          "okvqa", name.c_str());
}

}  // namespace t2::tasks
