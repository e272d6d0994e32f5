// The settings of one `t2 eval` run as a plain struct, their validation (every problem at once,
// before any model is loaded) and their canonical text (stored in the report; `--resume` requires
// it unchanged). Option registration lives in cli/cmd_eval.cpp; this file knows nothing of
// Boost.Program_options.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tasks/task_options.h"

namespace t2::adapt {

struct TaskSpec {
  std::string name;  // gsm8k, math, arc, mbpp, humaneval, cls, textvqa, okvqa
  std::string data;  // JSONL (or .jsonl.gz) file; TextVQA json; OK-VQA questions file
};

struct EvalConfig {
  std::string model_dir;
  std::string tokenizer;      // tokenizer.json or folder; "" = the model folder
  std::string chat_template;  // built-in template name when the checkpoint has none ("" = its own)
  std::vector<TaskSpec> tasks;
  std::string images;  // image tasks: folder of the pictures ("" = the task's folders beside --data)
  int64_t limit = 0;  // first N samples of each task; 0 = all
  int64_t subset_seed = -1;  // >= 0: --limit keeps N records of a seeded shuffle instead (task_data.h)
  std::string svd, expert, mixture;
  // Two-pass dispatch (dispatch.h): strategy "" = base/expert/mixture from the files given.
  std::string strategy;
  std::vector<std::pair<std::string, std::string>> experts;  // --experts label=file (math, code, reasoning)
  std::string cls_expert;                                     // classifier: the pass-1 expert
  std::string dispatch_other = "base";                        // "other": base | reference (last expert)
  std::string svf_apply = "auto";  // how scalings reach the model: auto | dense | factored
  int64_t svf_cache_mb = 0;        // dense composition cache (0: about two experts)
  int tp = 1;
  int batch = 8;            // samples per work unit (one generate() batch)
  int64_t max_new_tokens = 0;  // max new tokens override; 0 = each task's own (PROTOCOL §3)
  tasks::TaskOptions task_options;  // scoring, prompt file, code execution and sandbox limits
  uint64_t seed = 0;
  float temperature = 0.0f;  // 0 = greedy
  float top_p = 1.0f;
  std::string out;
  bool resume = false;
  bool overwrite = false;
  double silence_timeout_s = 120.0;  // a worker silent this long while holding a unit is dead
};

// Every problem found, one line each (empty = valid). Checks files and folders for existence.
std::vector<std::string> validate(const EvalConfig& c);
// Throws t2::Error listing every problem when validate() finds any.
void check_valid(const EvalConfig& c);

// Canonical INI-style text of everything that determines the per-sample results (not --out,
// --resume, --overwrite, --silence-timeout, nor the world size or --tp: those may change between
// segments; the report records them per segment).
std::string config_text(const EvalConfig& c);

}  // namespace t2::adapt
