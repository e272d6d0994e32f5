// EvalConfig validation lists every problem at once, before any model is loaded; the canonical
// config text ignores settings that may change between resumed segments.
#include <gtest/gtest.h>

#include <filesystem>

#include "adapt/eval_config.h"
#include "base/error.h"

namespace t2::adapt {
namespace {

TEST(EvalConfig, ListsEveryProblem) {
  EvalConfig c;
  c.model_dir = "/nonexistent/model";
  c.tasks = {{"gsm9k", "x.jsonl"}, {"mbpp", "/nonexistent/mbpp.jsonl"}};
  c.tp = 0;
  c.batch = 0;
  c.expert = "e.h5";
  c.task_options.scoring = "fuzzy";
  c.temperature = -1;
  c.svf_apply = "sparse";
  c.task_options.prompt_file = "poetry=/nonexistent/p.txt";
  const auto p = validate(c);
  auto has = [&](const std::string& needle) {
    for (const auto& s : p)
      if (s.find(needle) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("--model /nonexistent/model: no such folder"));
  EXPECT_TRUE(has("--task gsm9k: unknown task (known: "));
  EXPECT_TRUE(has("--data /nonexistent/mbpp.jsonl (task mbpp): no such file"));
  EXPECT_TRUE(has("task mbpp runs generated code: pass --allow-code-execution"));
  EXPECT_TRUE(has("--tp must be >= 1, got 0"));
  EXPECT_TRUE(has("--batch must be >= 1, got 0"));
  EXPECT_TRUE(has("--expert/--mixture need --svd"));
  EXPECT_TRUE(has("--scoring: expected clean or reference, found 'fuzzy'"));
  EXPECT_TRUE(has("--temperature must be a finite number >= 0"));
  EXPECT_TRUE(has("--svf-apply must be auto, dense or factored, got 'sparse'"));
  EXPECT_TRUE(has("--prompt-file /nonexistent/p.txt: not a readable file"));
  EXPECT_TRUE(has("--prompt-file poetry=/nonexistent/p.txt: unknown task"));
  EXPECT_TRUE(has("--out REPORT.h5 is required"));
  EXPECT_GE(p.size(), 13u);
  try {
    check_valid(c);
    FAIL() << "check_valid accepted a bad configuration";
  } catch (const t2::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(std::to_string(p.size()) + " problems"), std::string::npos) << msg;
    for (const auto& s : p) EXPECT_NE(msg.find(s), std::string::npos) << s;
  }
}

TEST(EvalConfig, AcceptsAValidConfiguration) {
  EvalConfig c;
  c.model_dir = "tests/reference/fixtures/llama3_gqa_tied_f32";
  c.tokenizer = "../shared/fixtures/tokenizers/llama3/tokenizer.json";
  c.tasks = {{"gsm8k", "../shared/datasets/gsm8k/test.jsonl"}};
  c.out = "report.h5";
  const auto p = validate(c);
  EXPECT_TRUE(p.empty()) << (p.empty() ? "" : p.front());
}

// Image tasks need a LLaVA-NeXT checkpoint; --images belongs to image tasks and must be a folder.
TEST(EvalConfig, ImageTasksNeedAVisionModelAndImagesNeedAnImageTask) {
  auto has = [](const std::vector<std::string>& p, const std::string& needle) {
    for (const auto& s : p)
      if (s.find(needle) != std::string::npos) return true;
    return false;
  };
  EvalConfig c;
  c.model_dir = "tests/reference/fixtures/llama3_gqa_tied_f32";
  c.tokenizer = "../shared/fixtures/tokenizers/llama3/tokenizer.json";
  c.tasks = {{"textvqa", "tests/eval/vqa_common.sh"}};
  c.out = "report.h5";
  EXPECT_TRUE(has(validate(c), "--task textvqa asks questions about images, but --model "
                  "tests/reference/fixtures/llama3_gqa_tied_f32 is a text-only checkpoint"));
  c.model_dir = "tests/reference/llava/fixtures/llava_next_llama_f32";
  EXPECT_FALSE(has(validate(c), "asks questions about images"));
  c.images = "/nonexistent/pictures";
  EXPECT_TRUE(has(validate(c), "--images /nonexistent/pictures: no such"));
  c.tasks = {{"gsm8k", "../shared/datasets/gsm8k/test.jsonl"}};
  c.images = "tests";
  EXPECT_TRUE(has(validate(c), "--images tests is for the image tasks (textvqa, okvqa); gsm8k has no images"));
  EXPECT_NE(config_text(c).find("images = tests\n"), std::string::npos);
}

TEST(EvalConfig, TextKeepsResultSettingsOnly) {
  EvalConfig a;
  a.model_dir = "m";
  a.tasks = {{"gsm8k", "g.jsonl"}, {"arc", "a.jsonl"}};
  EvalConfig b = a;
  b.out = "elsewhere.h5";
  b.resume = true;
  b.tp = 2;
  b.silence_timeout_s = 5;
  EXPECT_EQ(config_text(a), config_text(b));
  b.seed = 3;
  EXPECT_NE(config_text(a), config_text(b));
  b = a;
  b.max_new_tokens = 16;
  EXPECT_NE(config_text(a), config_text(b));
  EXPECT_NE(config_text(a).find("task = gsm8k\ndata = g.jsonl\ntask = arc\ndata = a.jsonl\n"),
            std::string::npos);
}

}  // namespace
}  // namespace t2::adapt
