// What the image question-answering tasks (TextVQA, OK-VQA) share: the sample layout, the prompt,
// answer extraction and VQA-accuracy scoring (vqa_score.h). Each dataset's published file format
// is read by its own file (textvqa.cpp, okvqa.cpp).
//
// A sample names its image by path, resolved when the dataset is loaded: id = question_id,
// question, gold = the most frequent human answer (the first of equals), category vision, extra =
// {"image": path of the image file, "image_id": the dataset's id, "answers": the human answers}.
// Images come from a folder: the one set with set_image_dir, else the first that exists of the
// dataset's usual folders beside the data file (images/, then train_images/ for TextVQA, the COCO
// split folder such as val2014/ for OK-VQA); a file is the image id with .jpg, .jpeg or .png. A
// question whose image is missing is a LoadError; loading goes on. Nothing here decodes images.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tasks/task.h"

namespace t2::tasks {

// The text a prompt carries where the image goes; the vision-language model's tokenizer maps it
// to the image token (model/llava expands that into the image's features).
inline constexpr const char* kImagePlaceholder = "<image>";

class VqaTask : public Task {
 public:
  Category category() const override { return Category::vision; }

  void set_image_dir(std::string dir) { image_dir_ = std::move(dir); }
  const std::string& image_dir() const { return image_dir_; }

  // A record in the common form {question_id, question, answers: [strings or {answer}], image}
  // (the loaders build it from their formats).
  Sample parse_record(const nlohmann::json& record, size_t index) const override;
  // {question} and {image} (the placeholder text).
  PromptVariables prompt_variables(const Sample& sample) const override;
  // clean: the first non-empty line, without a leading "Answer:"; reference: the whole completion
  // (the official script only flattens newlines).
  std::string extract(const Sample& sample, std::string_view completion,
                      ScoringMode mode) const override;
  // credit = VQA accuracy; correct = at least three human answers match (full credit in the
  // metric's original definition); status no_answer for an empty prediction.
  Verdict score(const Sample& sample, std::string_view completion,
                const ScoreOptions& options) const override;
  std::string gold_completion(const Sample& sample) const override { return sample.gold; }

 protected:
  VqaTask();
  // The image folder for a data file: image_dir(), else the first existing `candidates` folder
  // beside it. Throws t2::Error listing what was tried.
  std::string resolve_image_dir(const std::string& data_path,
                                const std::vector<std::string>& candidates) const;
  // dir/stem.jpg, .jpeg or .png, whichever exists first; "" when none does.
  static std::string find_image(const std::string& dir, const std::string& stem);
  // Adds the sample of one common-form record, or a LoadError naming `where` (e.g. "data[12]").
  void add_record(Dataset& ds, const nlohmann::json& record, size_t index,
                  const std::string& where) const;

 private:
  std::string image_dir_;
};

// textvqa | okvqa as a VqaTask (make_task gives the same tasks as a Task); throws listing the names.
std::unique_ptr<VqaTask> make_vqa_task(const std::string& name);
// True for the names of image tasks (textvqa, okvqa).
bool is_image_task(const std::string& name);
// Sets the image folder of an image task; throws t2::Error naming the task when it has no images.
void set_image_dir(Task& task, const std::string& dir);

}  // namespace t2::tasks
