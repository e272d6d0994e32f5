// TextVQA (Singh et al. 2019; the published TextVQA_0.5.1_{train,val}.json): one JSON object whose
// "data" list holds {question, image_id, answers: [10 strings], question_id, ...}. Images are
// <image_id>.jpg, by default in images/ or train_images/ beside the file (the validation questions
// use the train_images folder). Prompt, extraction and scoring: vqa.h.
#include "base/error.h"
#include "io/jsonl.h"  // parse_json, read_text_maybe_gz
#include "tasks/fields.h"
#include "tasks/registry.h"
#include "tasks/vqa.h"

namespace t2::tasks {
namespace {

class TextVqaTask final : public VqaTask {
 public:
  std::string_view name() const override { return "textvqa"; }

  // One JSON document, not lines: the line bound does not apply.
  Dataset load(const std::string& path, size_t /*max_line_bytes*/) const override {
    Dataset ds;
    ds.path = path;
    const nlohmann::json j = io::parse_json(io::read_text_maybe_gz(path), path);
    T2_CHECK(j.is_object() && j.contains("data") && j["data"].is_array(),
             "%s: expected the TextVQA layout, an object with a \"data\" list", path.c_str());
    const std::string dir = resolve_image_dir(path, {"images", "train_images", "test_images"});
    const auto& data = j["data"];
    for (size_t i = 0; i < data.size(); ++i) {
      const auto& e = data[i];
      nlohmann::json rec = e;
      if (e.is_object() && e.contains("image_id")) {
        const std::string stem = e["image_id"].is_string() ? e["image_id"].get<std::string>()
                                                           : e["image_id"].dump();
        const std::string file = find_image(dir, stem);
        if (file.empty()) {
          ds.errors.push_back({path, i + 1, format("%s: data[%zu]: textvqa record: image '%s' "
                                                   "(.jpg/.jpeg/.png) not found in %s",
                                                   path.c_str(), i, stem.c_str(), dir.c_str())});
          continue;
        }
        rec["image"] = file;
      }
      add_record(ds, rec, i, format("data[%zu]", i));
    }
    return ds;
  }
};

}  // namespace

std::unique_ptr<Task> make_textvqa_task() { return std::make_unique<TextVqaTask>(); }

}  // namespace t2::tasks
