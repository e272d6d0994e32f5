// The demo's suite definition and its paired test files (mini/demo_suite.h): `t2 mini-suite`'s size
// options cover every size field; the MBPP test file holds exactly the mbpp_split test records of
// mbpp.jsonl, in split order and all from the test part; the cls test file holds the cls test set
// of the seed — training-split questions of the three tasks, labelled by their task — less the
// questions of the cls training set (so the cls expert's test differs from its train and valid
// samples as questions, not only as records).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "io/file.h"
#include "io/jsonl.h"
#include "mini/demo_suite.h"
#include "mini/mini.h"
#include "mini/partition.h"
#include "tasks/classify.h"
#include "tasks/splits.h"
#include "tasks/task.h"

namespace t2::mini {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<json> records_of(const std::string& path) {
  std::vector<json> out;
  for (const auto& r : io::read_jsonl(path)) out.push_back(r.value);
  return out;
}

TEST(MiniDemoSuite, SizeOptionsCoverEveryField) {
  // Distinct values per option: each option must set a field of its own (the sum below counts
  // every field once).
  SuiteOptions o;
  int v = 100;
  for (const SizeOption& s : size_options()) o.*s.field = ++v;
  EXPECT_EQ(size_options().size(), 10u);
  EXPECT_EQ(size_arguments(o),
            (std::vector<std::string>{"--gsm8k-train", "101", "--gsm8k-test", "102", "--math-test", "103",
                                      "--math-valid", "104", "--mbpp", "105", "--humaneval", "106",
                                      "--humaneval-valid", "107", "--arc-easy-train", "108", "--arc-easy-test",
                                      "109", "--arc-challenge-test", "110"}));
  EXPECT_EQ(o.n_gsm8k_train + o.n_gsm8k_test + o.n_math_test + o.n_math_valid + o.n_mbpp + o.n_humaneval +
                o.n_humaneval_valid + o.n_arc_easy_train + o.n_arc_easy_test + o.n_arc_challenge_test,
            101 + 102 + 103 + 104 + 105 + 106 + 107 + 108 + 109 + 110);
  // The full demo's test files hold 200 records; MBPP leaves 200 after its 200 train / 100 valid.
  const SuiteOptions full = demo_suite_options(2025, false);
  EXPECT_FALSE(full.pretraining);
  EXPECT_EQ(full.n_gsm8k_test, 200);
  EXPECT_EQ(tasks::mbpp_split(static_cast<size_t>(full.n_mbpp), tasks::Split::test).size(), 200u);
}

TEST(MiniDemoSuite, PairedTestFilesAreTheTrainingsTestSamples) {
  const fs::path dir = fs::temp_directory_path() / ("t2_mini_demo_suite_" + std::to_string(getpid()));
  const uint64_t seed = 2026;
  const auto suite = generate_suite(demo_suite_options(seed, /*quick=*/true));
  write_suite(suite, dir.string());
  const PairedTestFiles written = write_paired_test_files(dir.string(), seed);

  // MBPP: the test split's records, byte for byte and in order; every one from the test part.
  const std::vector<json> all = records_of((dir / "mbpp/mbpp.jsonl").string());
  const std::vector<json> test = records_of((dir / "mbpp/test.jsonl").string());
  const std::vector<size_t> idx = tasks::mbpp_split(all.size(), tasks::Split::test);
  ASSERT_EQ(test.size(), idx.size());
  EXPECT_EQ(written.n_mbpp, idx.size());
  for (size_t k = 0; k < idx.size(); ++k) {
    EXPECT_EQ(test[k], all[idx[k]]) << k;
    EXPECT_EQ(problem_part(Family::mbpp, problem_key(Family::mbpp, test[k])), Part::test) << k;
  }

  // cls: t2 train's test set (a fifth of the pooled training splits) less the questions its
  // training set holds; each question from the train split of its task, labelled with its task's
  // category. The mini MBPP-like descriptions are few templates, so questions repeat in the pool.
  std::map<std::string, std::string> label_of;  // question -> category of its task
  std::vector<tasks::Sample> pool;
  for (const auto& [task, file] : cls_source_files()) {
    const tasks::Dataset d = tasks::make_task(task)->load((dir / file).string());
    for (size_t i : tasks::training_split(task, d.samples.size(), tasks::Split::train)) {
      label_of[d.samples[i].question] = tasks::category_name(d.samples[i].category);
      pool.push_back(d.samples[i]);
    }
  }
  const std::vector<json> cls = records_of((dir / "cls/test.jsonl").string());
  EXPECT_EQ(cls.size(), written.n_cls);
  EXPECT_EQ(cls.size() + written.n_cls_dropped, pool.size() - pool.size() * 4 / 5);
  EXPECT_GT(written.n_cls_dropped, 0u);  // the repeated MBPP-like descriptions
  std::set<std::string> test_questions, labels;
  for (const json& r : cls) {
    const std::string q = r.at("question");
    ASSERT_TRUE(label_of.count(q)) << q;
    EXPECT_EQ(r.at("label"), label_of.at(q)) << q;
    test_questions.insert(q);
    labels.insert(r.at("label").get<std::string>());
  }
  EXPECT_EQ(test_questions.size(), cls.size());
  EXPECT_TRUE(labels.count("math") && labels.count("reasoning")) << cls.size();
  // The cls task reads the file back into the same samples.
  EXPECT_EQ(tasks::make_task("cls")->load((dir / "cls/test.jsonl").string()).samples.size(), cls.size());
  // t2 train's cls training set (its valid is every eighth of it) holds none of the test questions,
  // and the left-out ones are exactly the test samples whose question it holds.
  const tasks::ClassificationSets sets = tasks::build_classification_sets(pool, seed);
  std::set<std::string> trained;
  for (const tasks::Sample& s : sets.train) {
    EXPECT_FALSE(test_questions.count(s.question)) << s.question;
    trained.insert(s.question);
  }
  size_t dropped = 0;
  for (const tasks::Sample& s : sets.test) dropped += trained.count(s.question);
  EXPECT_EQ(dropped, written.n_cls_dropped);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace t2::mini
