// The demo's suite sizes, the size options of `t2 mini-suite`, and the paired test files; see
// demo_suite.h.
#include "mini/demo_suite.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "base/error.h"
#include "io/file.h"
#include "io/jsonl.h"
#include "tasks/classify.h"  // build_classification_sets
#include "tasks/task.h"      // make_task
#include "tasks/splits.h"

namespace t2::mini {

const std::vector<SizeOption>& size_options() {
  static const std::vector<SizeOption> options = {
      {"gsm8k-train", &SuiteOptions::n_gsm8k_train, "GSM8K-like train problems"},
      {"gsm8k-test", &SuiteOptions::n_gsm8k_test, "GSM8K-like test problems"},
      {"math-test", &SuiteOptions::n_math_test, "MATH-like test problems"},
      {"math-valid", &SuiteOptions::n_math_valid, "MATH-like validation problems (math/valid.jsonl)"},
      {"mbpp", &SuiteOptions::n_mbpp, "MBPP-like problems"},
      {"humaneval", &SuiteOptions::n_humaneval, "HumanEval-like problems"},
      {"humaneval-valid", &SuiteOptions::n_humaneval_valid, "HumanEval-like validation problems (humaneval/valid.jsonl)"},
      {"arc-easy-train", &SuiteOptions::n_arc_easy_train, "ARC-Easy-like train questions"},
      {"arc-easy-test", &SuiteOptions::n_arc_easy_test, "ARC-Easy-like test questions"},
      {"arc-challenge-test", &SuiteOptions::n_arc_challenge_test, "ARC-Challenge-like test questions"},
  };
  return options;
}

SuiteOptions demo_suite_options(uint64_t seed, bool quick) {
  SuiteOptions o;
  o.seed = seed;
  o.pretraining = false;
  o.n_gsm8k_train = quick ? 40 : 400;
  o.n_gsm8k_test = quick ? 20 : 200;
  o.n_math_test = quick ? 20 : 200;
  o.n_math_valid = quick ? 0 : 70;  // valid files of the unseen tasks: not used by the demo's stages
  o.n_humaneval_valid = quick ? 0 : 50;
  o.n_mbpp = quick ? 312 : 500;  // quick: 200 train, 100 valid and 12 test (mbpp_split needs 300)
  o.n_humaneval = quick ? 12 : 100;
  o.n_arc_easy_train = quick ? 40 : 400;
  o.n_arc_easy_test = quick ? 20 : 200;
  o.n_arc_challenge_test = quick ? 20 : 200;
  return o;
}

std::vector<std::string> size_arguments(const SuiteOptions& o) {
  std::vector<std::string> args;
  for (const SizeOption& s : size_options()) {
    args.push_back(std::string("--") + s.name);
    args.push_back(std::to_string(o.*s.field));
  }
  return args;
}

const std::vector<std::pair<std::string, std::string>>& cls_source_files() {
  static const std::vector<std::pair<std::string, std::string>> files = {
      {"gsm8k", "gsm8k/train.jsonl"}, {"arc", "arc/ARC-Easy-Train.jsonl"}, {"mbpp", "mbpp/mbpp.jsonl"}};
  return files;
}

namespace {

std::vector<tasks::Sample> load_all(const tasks::Task& task, const std::string& path) {
  tasks::Dataset d = task.load(path);
  T2_CHECK(d.errors.empty(), "%s: %zu bad records, first: %s", path.c_str(), d.errors.size(),
           d.errors.empty() ? "" : d.errors[0].message.c_str());
  return std::move(d.samples);
}

}  // namespace

PairedTestFiles write_paired_test_files(const std::string& suite_dir, uint64_t seed) {
  namespace fs = std::filesystem;
  // MBPP: the raw records of the test split, in split order.
  const std::string mbpp = suite_dir + "/mbpp/mbpp.jsonl";
  const std::vector<io::JsonlRecord> records = io::read_jsonl(mbpp);
  io::require_records(records, mbpp);
  std::string text;
  size_t n_mbpp = 0;
  for (size_t i : tasks::training_split("mbpp", records.size(), tasks::Split::test)) {
    T2_CHECK(records[i].ok(), "%s", records[i].error.c_str());
    text += records[i].value.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict) + "\n";
    ++n_mbpp;
  }
  T2_CHECK(n_mbpp > 0, "%s: %zu records leave no MBPP test split (it needs more than %zu)", mbpp.c_str(),
           records.size(), tasks::kMbppTrain + tasks::kMbppValid);
  io::write_file_atomic(suite_dir + "/mbpp/test.jsonl", text);

  // cls: the pooled training splits of the three training tasks, split 4:1 with the seed.
  std::vector<tasks::Sample> pool;
  for (const auto& [task, file] : cls_source_files()) {
    const std::vector<tasks::Sample> samples = load_all(*tasks::make_task(task), suite_dir + "/" + file);
    for (size_t i : tasks::training_split(task, samples.size(), tasks::Split::train)) pool.push_back(samples[i]);
  }
  const tasks::ClassificationSets sets = tasks::build_classification_sets(pool, seed);
  std::set<std::string> trained;  // t2 train's cls train and valid samples
  for (const tasks::Sample& s : sets.train) trained.insert(s.question);
  PairedTestFiles out;
  out.n_mbpp = n_mbpp;
  text.clear();
  for (const tasks::Sample& s : sets.test) {
    if (trained.count(s.question)) {
      ++out.n_cls_dropped;
      continue;
    }
    text += nlohmann::json{{"id", s.id}, {"question", s.question}, {"label", s.gold}}.dump() + "\n";
    ++out.n_cls;
  }
  T2_CHECK(out.n_cls > 0, "%s: every cls test question is also a cls training question", suite_dir.c_str());
  fs::create_directories(suite_dir + "/cls");
  io::write_file_atomic(suite_dir + "/cls/test.jsonl", text);
  return out;
}

}  // namespace t2::mini
