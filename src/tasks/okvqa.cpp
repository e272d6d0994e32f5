// OK-VQA (Marino et al. 2019) in the VQA v2 file format: a questions file
// ({"data_subtype": "val2014", "questions": [{image_id, question, question_id}]}) and an
// annotations file ({"annotations": [{question_id, answers: [{answer, raw_answer, ...}], ...}]}).
// load() takes the questions file, whose annotations sit beside it under the published name
// (OpenEnded_mscoco_val2014_questions.json ↔ mscoco_val2014_annotations.json) or as the folder's
// only *annotations*.json; or a folder holding one of each. Images are COCO's
// COCO_<data_subtype>_<image_id, 12 digits>.jpg, by default in images/ or <data_subtype>/ beside
// the files. Prompt, extraction and scoring: vqa.h.
#include <filesystem>
#include <map>

#include "base/error.h"
#include "io/jsonl.h"  // parse_json, read_text_maybe_gz
#include "tasks/fields.h"
#include "tasks/registry.h"
#include "tasks/vqa.h"

namespace t2::tasks {
namespace {

namespace fs = std::filesystem;

nlohmann::json read_json(const std::string& path) {
  return io::parse_json(io::read_text_maybe_gz(path), path);
}

// The only file in dir whose name contains `part` and ends in .json ("" when none; error when
// several).
std::string only_file_with(const fs::path& dir, const std::string& part) {
  std::string found;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (!e.is_regular_file() || n.find(part) == std::string::npos || e.path().extension() != ".json")
      continue;
    T2_CHECK(found.empty(), "%s: several *%s*.json files (%s, %s); name the questions file",
             dir.c_str(), part.c_str(), fs::path(found).filename().c_str(), n.c_str());
    found = e.path().string();
  }
  return found;
}

class OkVqaTask final : public VqaTask {
 public:
  std::string_view name() const override { return "okvqa"; }

  // One JSON document, not lines: the line bound does not apply.
  Dataset load(const std::string& path, size_t /*max_line_bytes*/) const override {
    std::string qpath = path, apath;
    if (fs::is_directory(path)) {
      qpath = only_file_with(path, "questions");
      T2_CHECK(!qpath.empty(), "%s: no *questions*.json file in this folder", path.c_str());
    }
    const fs::path q(qpath);
    std::string published = q.filename().string();
    if (published.rfind("OpenEnded_", 0) == 0) published = published.substr(10);
    if (const size_t at = published.find("questions"); at != std::string::npos)
      published.replace(at, 9, "annotations");
    apath = (q.parent_path() / published).string();
    if (published == q.filename().string() || !fs::is_regular_file(apath))
      apath = only_file_with(q.parent_path(), "annotations");
    T2_CHECK(!apath.empty(), "%s: no annotations file beside it (expected %s or one "
             "*annotations*.json)", qpath.c_str(), (q.parent_path() / published).c_str());

    const nlohmann::json qs = read_json(qpath), an = read_json(apath);
    T2_CHECK(qs.is_object() && qs.contains("questions") && qs["questions"].is_array(),
             "%s: expected the VQA questions layout, an object with a \"questions\" list",
             qpath.c_str());
    T2_CHECK(an.is_object() && an.contains("annotations") && an["annotations"].is_array(),
             "%s: expected the VQA annotations layout, an object with an \"annotations\" list",
             apath.c_str());
    std::map<std::string, const nlohmann::json*> by_question;
    for (const auto& a : an["annotations"])
      if (a.is_object() && a.contains("question_id")) by_question[field_id(a, "question_id")] = &a;
    const std::string subtype = qs.value("data_subtype", an.value("data_subtype", std::string("val2014")));
    const std::string dir = resolve_image_dir(qpath, {"images", subtype});

    Dataset ds;
    ds.path = qpath;
    const auto& list = qs["questions"];
    for (size_t i = 0; i < list.size(); ++i) {
      nlohmann::json rec = list[i];
      try {
        const std::string qid = field_id(rec, "question_id");
        const auto it = by_question.find(qid);
        T2_CHECK(it != by_question.end(), "question %s has no entry in %s", qid.c_str(), apath.c_str());
        rec["answers"] = field_any(*it->second, "answers");
        const auto& id = field_any(rec, "image_id");
        T2_CHECK(id.is_number_integer(), "field 'image_id': expected an integer, found %s", id.type_name());
        const std::string stem = format("COCO_%s_%012lld", subtype.c_str(), id.get<long long>());
        rec["image"] = find_image(dir, stem);
        T2_CHECK(!rec["image"].get<std::string>().empty(),
                 "image '%s' (.jpg/.jpeg/.png) not found in %s", stem.c_str(), dir.c_str());
      } catch (const Error& e) {
        ds.errors.push_back({qpath, i + 1, format("%s: questions[%zu]: okvqa record: %s",
                                                  qpath.c_str(), i, e.what())});
        continue;
      }
      add_record(ds, rec, i, format("questions[%zu]", i));
    }
    return ds;
  }
};

}  // namespace

std::unique_ptr<Task> make_okvqa_task() { return std::make_unique<OkVqaTask>(); }

}  // namespace t2::tasks
