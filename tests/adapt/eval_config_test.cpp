// EvalConfig validation lists every problem at once, before any model is loaded; the canonical
// config text ignores settings that may change between resumed segments; --limit with
// --subset-seed keeps the records at the first N positions of the seeded shuffle, in file order.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "adapt/eval_config.h"
#include "adapt/task_data.h"
#include "base/error.h"
#include "tasks/splits.h"

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

EvalConfig valid_config() {
  EvalConfig c;
  c.model_dir = "tests/reference/fixtures/llama3_gqa_tied_f32";
  c.tokenizer = "../shared/fixtures/tokenizers/llama3/tokenizer.json";
  c.tasks = {{"gsm8k", "../shared/datasets/gsm8k/test.jsonl"}};
  c.out = "report.h5";
  return c;
}

TEST(EvalConfig, AcceptsAValidConfiguration) {
  const auto p = validate(valid_config());
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

TEST(EvalConfig, SubsetSeedNeedsALimitAndEntersTheText) {
  EvalConfig c = valid_config();
  const std::string plain = config_text(c);
  EXPECT_EQ(plain.find("subset-seed"), std::string::npos);  // texts of older reports stay valid
  c.subset_seed = 7;
  auto p = validate(c);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("--subset-seed needs --limit N"), std::string::npos) << p[0];
  c.limit = 300;
  EXPECT_TRUE(validate(c).empty());
  EXPECT_NE(config_text(c).find("limit = 300\nsubset-seed = 7\n"), std::string::npos);
  c.subset_seed = -2;
  p = validate(c);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("--subset-seed must be >= 0 (or -1: the first --limit records), got -2"),
            std::string::npos) << p[0];
}

TEST(TaskData, SeededSubsetKeepsShuffledPositionsInFileOrder) {
  const auto dir = std::filesystem::temp_directory_path() / "t2_subset_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "gsm8k.jsonl").string();
  {
    std::ofstream f(path);
    for (int i = 0; i < 40; ++i) {
      if (i == 13) f << "{\"question\": 13}\n";  // a bad record keeps its place
      else f << "{\"question\": \"q" << i << "\", \"answer\": \"#### " << i << "\"}\n";
    }
  }
  // GSM8K ids are 0-based line numbers: they tell which records were kept.
  auto kept = [&](int64_t limit, int64_t seed) {
    const TaskData d = load_task_data("gsm8k", path, limit, "", seed);
    std::vector<size_t> lines;
    for (const TaskItem& it : d.items)
      lines.push_back(it.sample ? std::stoul(it.sample->id) : 13);
    return lines;
  };
  for (int64_t seed : {0, 7, 2025}) {
    auto want = tasks::seeded_permutation(40, static_cast<uint64_t>(seed));
    want.resize(10);
    std::sort(want.begin(), want.end());
    EXPECT_EQ(kept(10, seed), want) << "seed " << seed;
  }
  EXPECT_NE(kept(10, 0), kept(10, 7));
  const std::vector<size_t> first{0, 1, 2, 3, 4};
  EXPECT_EQ(kept(5, -1), first);  // no seed: the first records, as before
  const auto all = kept(0, 7);    // no limit: every record, the seed changes nothing
  ASSERT_EQ(all.size(), 40u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(kept(40, 7), all);
  // The bad record is an error item wherever the shuffle puts it into the subset.
  for (int64_t seed = 0; seed < 64; ++seed) {
    const TaskData d = load_task_data("gsm8k", path, 20, "", seed);
    const auto lines = kept(20, seed);
    const bool has13 = std::find(lines.begin(), lines.end(), 13u) != lines.end();
    size_t errors = 0;
    for (const TaskItem& it : d.items) errors += it.sample == nullptr;
    EXPECT_EQ(errors, has13 ? 1u : 0u);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace t2::adapt
