// Validation and canonical text of EvalConfig; see eval_config.h.
#include "adapt/eval_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "adapt/dispatch.h"
#include "base/error.h"
#include "io/file_kind.h"  // file_problem
#include "model/llava/checkpoint.h"  // describe_model_kind
#include "model/llava/config.h"      // is_llava_checkpoint
#include "tasks/task.h"
#include "tasks/vqa.h"  // is_image_task

namespace t2::adapt {

namespace fs = std::filesystem;

std::vector<std::string> validate(const EvalConfig& c) {
  std::vector<std::string> p;
  auto add = [&](std::string s) { p.push_back(std::move(s)); };
  if (c.model_dir.empty()) add("--model is required (a Hugging Face checkpoint folder or .gguf file)");
  else if (fs::is_regular_file(c.model_dir)) {  // a GGUF file: LlamaModel::load validates it
  } else if (!fs::is_directory(c.model_dir)) add(t2::format("--model %s: no such folder or file", c.model_dir.c_str()));
  else if (!fs::exists(fs::path(c.model_dir) / "config.json"))
    add(t2::format("--model %s: no config.json in that folder", c.model_dir.c_str()));
  const std::string tok = c.tokenizer.empty() ? c.model_dir : c.tokenizer;
  if (!tok.empty() && fs::is_directory(tok) && !fs::exists(fs::path(tok) / "tokenizer.json"))
    add(t2::format("no tokenizer.json in %s (give --tokenizer FILE|DIR)", tok.c_str()));
  else if (!c.tokenizer.empty() && !fs::exists(c.tokenizer))
    add(t2::format("--tokenizer %s: no such file or folder", c.tokenizer.c_str()));

  if (c.tasks.empty()) add("at least one --task with its --data file is required");
  const auto names = tasks::task_names();
  std::set<std::string> seen;
  for (const TaskSpec& t : c.tasks) {
    bool known = false;
    for (const auto& n : names) known = known || n == t.name;
    if (!known) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      add(t2::format("--task %s: unknown task (known: %s)", t.name.c_str(), list.c_str()));
      continue;
    }
    if (!seen.insert(t.name).second)
      add(t2::format("--task %s given twice (one data file per task per run)", t.name.c_str()));
    if (t.data.empty()) add(t2::format("--task %s has no --data file", t.name.c_str()));
    else if (!fs::is_regular_file(t.data))
      add(t2::format("--data %s (task %s): %s", t.data.c_str(), t.name.c_str(),
                     io::file_problem(t.data).c_str()));
    if ((t.name == "mbpp" || t.name == "humaneval") && !c.task_options.allow_code_execution)
      add(t2::format("task %s runs generated code: pass --allow-code-execution to run it in the sandbox",
                     t.name.c_str()));
  }
  // Image tasks: a LLaVA-NeXT checkpoint, and --images only where there are images.
  std::string image_tasks, text_tasks;
  for (const TaskSpec& t : c.tasks) {
    std::string& list = tasks::is_image_task(t.name) ? image_tasks : text_tasks;
    list += (list.empty() ? "" : ", ") + t.name;
  }
  if (!image_tasks.empty() && fs::is_directory(c.model_dir) &&
      fs::exists(fs::path(c.model_dir) / "config.json") &&
      !model::llava::is_llava_checkpoint(c.model_dir))
    add(t2::format("--task %s asks questions about images, but --model %s is %s; give a "
                   "LLaVA-NeXT checkpoint (config.json model_type llava_next)", image_tasks.c_str(),
                   c.model_dir.c_str(), model::llava::describe_model_kind(c.model_dir).c_str()));
  else if (!image_tasks.empty() && fs::is_regular_file(c.model_dir))
    add(t2::format("--task %s asks questions about images, but --model %s is %s; give a "
                   "LLaVA-NeXT checkpoint folder", image_tasks.c_str(), c.model_dir.c_str(),
                   model::llava::describe_model_kind(c.model_dir).c_str()));
  if (!c.images.empty()) {
    if (image_tasks.empty())
      add(t2::format("--images %s is for the image tasks (textvqa, okvqa); %s %s no images",
                     c.images.c_str(), text_tasks.c_str(),
                     text_tasks.find(',') == std::string::npos ? "has" : "have"));
    if (!fs::is_directory(c.images))
      add(t2::format("--images %s: %s (expected the folder of the task's pictures)",
                     c.images.c_str(), io::file_problem(c.images).c_str()));
  }
  if (c.limit < 0) add(t2::format("--limit must be >= 0 (0 = all), got %lld", static_cast<long long>(c.limit)));
  if (c.subset_seed < -1)
    add(t2::format("--subset-seed must be >= 0 (or -1: the first --limit records), got %lld",
                   static_cast<long long>(c.subset_seed)));
  else if (c.subset_seed >= 0 && c.limit == 0)
    add("--subset-seed needs --limit N (the size of the seeded subset); without it every record is evaluated");
  if (c.tp < 1) add(t2::format("--tp must be >= 1, got %d", c.tp));
  if (c.batch < 1) add(t2::format("--batch must be >= 1, got %d", c.batch));
  if (c.max_new_tokens < 0) add("--max-new-tokens must be >= 0 (0 = each task's own limit)");
  if (!(c.temperature >= 0) || !std::isfinite(c.temperature))
    add("--temperature must be a finite number >= 0 (0 = greedy)");
  if (!(c.top_p > 0 && c.top_p <= 1)) add("--top-p must be in (0, 1]");
  for (auto& s : tasks::validate_task_options(c.task_options)) add(std::move(s));
  if (c.silence_timeout_s < 0) add("--silence-timeout must be >= 0 (0 = never)");
  if (c.svf_apply != "auto" && c.svf_apply != "dense" && c.svf_apply != "factored")
    add(t2::format("--svf-apply must be auto, dense or factored, got '%s'", c.svf_apply.c_str()));
  if (c.svf_cache_mb < 0) add("--svf-cache-mb must be >= 0 (0 = about two experts)");

  // Strategy: base (nothing), expert (--svd + --expert) or mixture (--svd + --mixture).
  // prompt / classifier: --svd + --experts (+ --cls-expert), checked in dispatch.cpp.
  const bool two_pass = c.strategy == "prompt" || c.strategy == "classifier";
  const bool any_svf = !c.svd.empty() || !c.expert.empty() || !c.mixture.empty();
  if (!c.expert.empty() && !c.mixture.empty()) add("--expert and --mixture exclude each other");
  if (any_svf && c.svd.empty()) add("--expert/--mixture need --svd (the SVD store of the model)");
  if (!two_pass && !c.svd.empty() && c.expert.empty() && c.mixture.empty())
    add("--svd given without --expert or --mixture");
  for (const std::string* f : {&c.svd, &c.expert, &c.mixture})
    if (!f->empty() && !fs::is_regular_file(*f))
      add(t2::format("%s: %s", f->c_str(), io::file_problem(*f).c_str()));
  for (auto& s : strategy_problems(c)) add(std::move(s));

  if (c.out.empty()) add("--out REPORT.h5 is required");
  else {
    const fs::path parent = fs::path(c.out).parent_path();
    if (!parent.empty() && !fs::is_directory(parent))
      add(t2::format("--out %s: folder %s does not exist", c.out.c_str(), parent.c_str()));
  }
  if (c.resume && c.overwrite) add("--resume and --overwrite exclude each other");
  return p;
}

void check_valid(const EvalConfig& c) {
  const auto p = validate(c);
  // every rank checks the same configuration
  if (!p.empty()) throw t2::CollectiveError(problem_list("invalid configuration", p));
}

std::string config_text(const EvalConfig& c) {
  std::string s;
  auto kv = [&](const char* k, const std::string& v) { s += t2::format("%s = %s\n", k, v.c_str()); };
  kv("model", c.model_dir);
  kv("tokenizer", c.tokenizer);
  kv("chat-template", c.chat_template);
  for (const TaskSpec& t : c.tasks) {
    kv("task", t.name);
    kv("data", t.data);
  }
  if (!c.images.empty()) kv("images", c.images);
  kv("limit", std::to_string(c.limit));
  if (c.subset_seed >= 0) kv("subset-seed", std::to_string(c.subset_seed));
  kv("svd", c.svd);
  kv("expert", c.expert);
  kv("mixture", c.mixture);
  if (!c.strategy.empty()) kv("strategy", c.strategy);
  for (const auto& [label, path] : c.experts) kv("experts", label + "=" + path);
  if (!c.cls_expert.empty()) kv("cls-expert", c.cls_expert);
  if (c.dispatch_other != "base") kv("dispatch-other", c.dispatch_other);
  kv("batch", std::to_string(c.batch));
  kv("max-new-tokens", std::to_string(c.max_new_tokens));
  kv("allow-code-execution", c.task_options.allow_code_execution ? "true" : "false");
  if (!c.task_options.prompt_file.empty()) kv("prompt-file", c.task_options.prompt_file);
  kv("seed", std::to_string(c.seed));
  kv("temperature", t2::format("%.9g", c.temperature));
  kv("top-p", t2::format("%.9g", c.top_p));
  kv("scoring", c.task_options.scoring);
  return s;
}

}  // namespace t2::adapt
