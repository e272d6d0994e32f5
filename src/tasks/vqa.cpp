// Shared VQA sample handling, prompt and scoring (see vqa.h).
#include "tasks/vqa.h"

#include <filesystem>
#include <map>

#include "base/error.h"
#include "tasks/fields.h"
#include "tasks/registry.h"
#include "tasks/text.h"
#include "tasks/vqa_score.h"

namespace t2::tasks {

namespace {

namespace fs = std::filesystem;

PromptTemplate vqa_template() {
  PromptTemplate t;
  t.user = "{image}\n{question}\nReply with one word or a short phrase.";
  t.max_new_tokens = 32;
  t.context_limit = 4096;  // a LLaVA-NeXT image alone takes up to ~2900 positions
  return t;
}

// The most frequent answer, the first of equals.
std::string majority(const std::vector<std::string>& answers) {
  std::map<std::string, int> count;
  std::string best;
  int best_n = 0;
  for (const auto& a : answers) {
    const int n = ++count[a];
    if (n > best_n) {
      best_n = n;
      best = a;
    }
  }
  return best;
}

}  // namespace

VqaTask::VqaTask() : Task(vqa_template()) {}

Sample VqaTask::parse_record(const nlohmann::json& r, size_t) const {
  Sample s;
  s.id = field_id(r, "question_id");
  s.question = field_string(r, "question");
  const auto& answers = field_any(r, "answers");
  T2_CHECK(answers.is_array() && !answers.empty(),
           "field 'answers': expected a non-empty list of human answers (a test split without "
           "answers cannot be scored)");
  std::vector<std::string> list;
  for (const auto& a : answers) {
    if (a.is_string()) list.push_back(a.get<std::string>());
    else list.push_back(field_string(a, "answer"));
  }
  s.gold = majority(list);
  s.category = Category::vision;
  s.extra = {{"image", field_string(r, "image")}, {"answers", list}};
  if (r.contains("image_id")) s.extra["image_id"] = r["image_id"];
  return s;
}

PromptVariables VqaTask::prompt_variables(const Sample& sample) const {
  return {{"question", sample.question}, {"image", kImagePlaceholder}};
}

std::string VqaTask::extract(const Sample&, std::string_view completion, ScoringMode mode) const {
  if (mode == ScoringMode::reference) return std::string(completion);
  size_t pos = 0;
  std::string line;
  while (line.empty() && pos <= completion.size()) {
    const size_t nl = completion.find('\n', pos);
    line = trim(completion.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  if (to_lower(line.substr(0, 7)) == "answer:") line = trim(std::string_view(line).substr(7));
  return line;
}

Verdict VqaTask::score(const Sample& sample, std::string_view completion,
                       const ScoreOptions& options) const {
  Verdict v;
  v.prediction = extract(sample, completion, options.mode);
  v.credit = 0;
  if (trim(v.prediction).empty()) {
    v.status = "no_answer";
    return v;
  }
  const VqaScore s = vqa_accuracy(v.prediction, sample.extra.at("answers").get<std::vector<std::string>>(),
                                  options.mode);
  v.status = "ok";
  v.credit = s.accuracy;
  v.correct = s.matches >= 3;
  return v;
}

std::string VqaTask::resolve_image_dir(const std::string& data_path,
                                       const std::vector<std::string>& candidates) const {
  if (!image_dir_.empty()) {
    T2_CHECK(fs::is_directory(image_dir_), "image folder '%s' does not exist", image_dir_.c_str());
    return image_dir_;
  }
  const fs::path base = fs::path(data_path).parent_path();
  std::string tried;
  for (const auto& c : candidates) {
    const fs::path dir = base / c;
    if (fs::is_directory(dir)) return dir.string();
    tried += (tried.empty() ? "" : ", ") + dir.string();
  }
  T2_FAIL("%s: no image folder found (tried %s); give the folder of the images explicitly",
          data_path.c_str(), tried.c_str());
}

std::string VqaTask::find_image(const std::string& dir, const std::string& stem) {
  for (const char* ext : {".jpg", ".jpeg", ".png"}) {
    const fs::path p = fs::path(dir) / (stem + ext);
    if (fs::is_regular_file(p)) return p.string();
  }
  return "";
}

void VqaTask::add_record(Dataset& ds, const nlohmann::json& record, size_t index,
                         const std::string& where) const {
  try {
    Sample s = parse_record(record, index);
    s.line = index + 1;
    ds.samples.push_back(std::move(s));
  } catch (const Error& e) {
    ds.errors.push_back({ds.path, index + 1,
                         format("%s: %s: %s record: %s", ds.path.c_str(), where.c_str(),
                                std::string(name()).c_str(), e.what())});
  }
}

std::unique_ptr<VqaTask> make_vqa_task(const std::string& name) {
  std::unique_ptr<Task> t;
  if (name == "textvqa") t = make_textvqa_task();
  else if (name == "okvqa") t = make_okvqa_task();
  else T2_FAIL("unknown image task '%s'; expected textvqa or okvqa", name.c_str());
  return std::unique_ptr<VqaTask>(static_cast<VqaTask*>(t.release()));
}

bool is_image_task(const std::string& name) { return name == "textvqa" || name == "okvqa"; }

void set_image_dir(Task& task, const std::string& dir) {
  auto* vqa = dynamic_cast<VqaTask*>(&task);
  T2_CHECK(vqa != nullptr, "an image folder was given for task %s, which has no images (image "
           "tasks: textvqa, okvqa)", std::string(task.name()).c_str());
  vqa->set_image_dir(dir);
}

}  // namespace t2::tasks
