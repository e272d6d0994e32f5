// The mini VQA suite: procedurally drawn images with questions and ten human-like answers each,
// written in the TextVQA and OK-VQA (VQA v2) file layouts with their images, so that the image
// tasks run end to end offline on a random-weight vision-language checkpoint.
//
// - TextVQA-like (train and val): read what is written — a number on a sign, a word on a banner,
//   a letter in a disc — drawn with the built-in 5x7 font (vqa_draw.h).
// - OK-VQA-like (val only, the unseen task): the colour of a shape, how many shapes of a kind, the
//   shape of a coloured object.
// Ten answers per question: mostly the canonical answer (at least four times, so it has full
// credit), some accepted variants ("47.", "STOP", "three"), now and then a wrong one.
//
// Partition: a reading question's (template, answer) pair belongs to exactly one split, chosen by
// a hash (one in five to val), so no val question can be answered by remembering a train one;
// the OK-VQA-like templates are disjoint from the reading ones. Deterministic in the seed; image
// sizes vary (48 to 200 px a side) so that LLaVA-NeXT's tiling meets many aspect ratios.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/image.h"

namespace t2::mini {

struct VqaSuiteOptions {
  uint64_t seed = 2025;
  int n_textvqa_train = 400;
  int n_textvqa_val = 100;
  int n_okvqa_val = 100;
};

struct VqaItem {
  std::string template_id;           // e.g. "sign_number"
  std::string question;
  std::string canonical;             // the answer the picture shows
  std::vector<std::string> answers;  // ten human-like answers
  io::Image image;
};

enum class VqaSplit { train, val };

// The partition of reading questions: true when (template, canonical answer) belongs to val.
bool reading_pair_in_val(const std::string& template_id, const std::string& canonical);

// n TextVQA-like items of the split (all inside that split's half of the partition).
std::vector<VqaItem> make_reading_items(uint64_t seed, VqaSplit split, int n);
// n OK-VQA-like items.
std::vector<VqaItem> make_scene_items(uint64_t seed, int n);

// Writes under dir:
//   textvqa/TextVQA_0.5.1_train.json, textvqa/TextVQA_0.5.1_val.json, textvqa/train_images/<id>.png
//   okvqa/OpenEnded_mscoco_val2014_questions.json, okvqa/mscoco_val2014_annotations.json,
//   okvqa/val2014/COCO_val2014_<12-digit id>.png
// Files are published atomically. Returns the number of questions written.
size_t write_vqa_suite(const VqaSuiteOptions& options, const std::string& dir);

}  // namespace t2::mini
