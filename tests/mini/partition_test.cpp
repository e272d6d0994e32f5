// Unseen is unseen. The pretraining suite of the documented recipe (jobs/mini-pretrain.cfg, read
// here) and demo suites (the sizes `t2 demo` uses, mini/demo_suite.h; its default seed and three
// more) are generated, and their items compared by identities computed here, independently of
// partition.cpp: the question (GSM8K-like), the problem (MATH-like), the description with the
// shown test (MBPP-like), the prompt (HumanEval-like), the stem with the set of options (ARC-like,
// Easy and Challenge pooled). No demo split (train, valid, test, split as t2 train splits the
// files) may share an item with the corpus suite, and no test item may be in a train or valid
// split. The corpus holds nothing but these records (datasets/mini/make_tokenizer.py renders each
// record, its classification question, and arithmetic and comparison drills that are no items), so
// this is the claim for the corpus.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "io/file.h"
#include "mini/demo_suite.h"
#include "mini/mini.h"
#include "mini/partition.h"
#include "tasks/splits.h"

namespace t2::mini {
namespace {

using nlohmann::json;
using Items = std::set<std::string>;

// Item identities, written without partition.cpp.
std::string identity(const std::string& family, const json& r) {
  if (family == "gsm8k") return r.at("question");
  if (family == "math") return r.at("problem");
  if (family == "mbpp") return r.at("text").get<std::string>() + "\n" + r.at("test_list").at(0).get<std::string>();
  if (family == "humaneval") return r.at("prompt");
  std::multiset<std::string> options;
  for (const auto& c : r.at("question").at("choices")) options.insert(c.at("text"));
  std::string id = r.at("question").at("stem");
  for (const auto& o : options) id += "\n" + o;
  return id;
}

std::string family_of(const std::string& path) {
  const std::string f = path.substr(0, path.find('/'));
  return f;
}

// The suite options of the recipe's `t2 mini-suite` command (the comment of jobs/mini-pretrain.cfg),
// read with `t2 mini-suite`'s own size options.
SuiteOptions recipe_options() {
  const std::string cfg = io::read_file("jobs/mini-pretrain.cfg");
  const size_t from = cfg.find("t2 mini-suite");
  const size_t to = cfg.find("python3", from);
  EXPECT_NE(from, std::string::npos);
  const std::string cmd = cfg.substr(from, to - from);
  EXPECT_NE(cmd.find("--pretraining"), std::string::npos) << "the corpus suite must be a pretraining suite";
  SuiteOptions o;
  o.pretraining = cmd.find("--pretraining") != std::string::npos;
  const std::regex opt(R"(--([a-z0-9-]+) (\d+))");
  for (std::sregex_iterator it(cmd.begin(), cmd.end(), opt), end; it != end; ++it) {
    const std::string name = (*it)[1];
    const auto size = std::find_if(size_options().begin(), size_options().end(),
                                   [&](const SizeOption& s) { return name == s.name; });
    if (name == "seed") o.seed = std::stoull((*it)[2]);
    else if (size != size_options().end()) o.*(size->field) = std::stoi((*it)[2]);
    else ADD_FAILURE() << "unknown option --" << name << " in the recipe";
  }
  return o;
}

// The demo's suite (full run), as `t2 demo` generates it.
SuiteOptions demo_options(uint64_t seed) { return demo_suite_options(seed, /*quick=*/false); }

// Every record of the suite, pooled per family.
std::map<std::string, Items> pooled(const std::vector<SuiteFile>& suite) {
  std::map<std::string, Items> out;
  for (const auto& f : suite) {
    const std::string fam = family_of(f.path);
    for (const auto& r : f.records) out[fam].insert(identity(fam, r));
  }
  return out;
}

// The splits of a demo suite as the demo trains and evaluates on them, keyed "family/split".
std::map<std::string, Items> demo_splits(const std::vector<SuiteFile>& suite) {
  std::map<std::string, Items> out;
  for (const auto& f : suite) {
    const std::string fam = family_of(f.path);
    const size_t n = f.records.size();
    auto add = [&](const std::string& split, const std::vector<size_t>& idx) {
      for (size_t i : idx) out[fam + "/" + split].insert(identity(fam, f.records[i]));
    };
    if (f.path == "gsm8k/train.jsonl" || f.path == "arc/ARC-Easy-Train.jsonl") {
      add("train", tasks::even_odd_split(n, tasks::Split::train));
      add("valid", tasks::even_odd_split(n, tasks::Split::valid));
    } else if (f.path == "mbpp/mbpp.jsonl") {
      add("train", tasks::mbpp_split(n, tasks::Split::train));
      add("valid", tasks::mbpp_split(n, tasks::Split::valid));
      add("test", tasks::mbpp_split(n, tasks::Split::test));
    } else {
      std::vector<size_t> all(n);
      for (size_t i = 0; i < n; ++i) all[i] = i;
      const bool valid = f.path == "math/valid.jsonl" || f.path == "humaneval/valid.jsonl";
      add(valid ? "valid" : f.path == "arc/ARC-Challenge-Test.jsonl" ? "challenge-test" : "test", all);
    }
  }
  return out;
}

size_t overlap(const Items& a, const Items& b) {
  size_t n = 0;
  for (const auto& x : a) n += b.count(x);
  return n;
}

// A file repeats no problem while its part has unused ones: the demo's test files hold as many
// distinct items as records (so n counts items, not repeats).
TEST(MiniPartition, DemoFilesHoldDistinctItems) {
  for (uint64_t seed : {2025, 2026}) {
    for (const auto& f : generate_suite(demo_options(seed))) {
      const std::string fam = family_of(f.path);
      Items items;
      for (const auto& r : f.records) items.insert(identity(fam, r));
      EXPECT_EQ(items.size(), f.records.size()) << "seed " << seed << ": " << f.path;
    }
  }
}

TEST(MiniPartition, NoDemoItemIsInTheCorpusAndNoTestItemIsTrainedOn) {
  const SuiteOptions recipe = recipe_options();
  const auto corpus = pooled(generate_suite(recipe));
  SuiteOptions other_corpus = recipe;  // another pretraining seed: the claim holds for any seed
  other_corpus.seed = recipe.seed + 1000;
  other_corpus.n_gsm8k_train = 3000;
  const auto corpus2 = pooled(generate_suite(other_corpus));
  std::map<std::string, Items> first_tests;
  for (uint64_t seed : {2025, 2026, 2027, 2028}) {
    const auto splits = demo_splits(generate_suite(demo_options(seed)));
    for (const auto& [name, items] : splits) {
      const std::string fam = name.substr(0, name.find('/'));
      EXPECT_FALSE(items.empty()) << name;
      EXPECT_EQ(overlap(items, corpus.at(fam)), 0u) << "seed " << seed << ": " << name << " vs corpus";
      EXPECT_EQ(overlap(items, corpus2.at(fam)), 0u) << "seed " << seed << ": " << name << " vs corpus seed 1007";
    }
    for (const std::string fam : {"gsm8k", "mbpp", "arc"}) {
      for (const std::string test : {"test", "challenge-test"}) {
        if (!splits.count(fam + "/" + test)) continue;
        for (const std::string trained : {"train", "valid"})
          EXPECT_EQ(overlap(splits.at(fam + "/" + test), splits.at(fam + "/" + trained)), 0u)
              << "seed " << seed << ": " << fam << "/" << test << " vs " << trained;
      }
      EXPECT_EQ(overlap(splits.at(fam + "/train"), splits.at(fam + "/valid")), 0u) << fam;
    }
    for (const std::string fam : {"math", "humaneval"})  // the unseen tasks' valid files
      EXPECT_EQ(overlap(splits.at(fam + "/test"), splits.at(fam + "/valid")), 0u) << "seed " << seed << ": " << fam;
    if (seed == 2025) {
      first_tests = splits;
    } else {
      // The identities do find shared items: test sets of two seeds repeat problems of the
      // (small) test part, so a zero above is not for want of matching.
      EXPECT_GT(overlap(splits.at("math/test"), first_tests.at("math/test")), 0u);
      EXPECT_GT(overlap(splits.at("arc/test"), first_tests.at("arc/test")), 0u);
    }
  }
}

// The partition is a fixed function of the content: the pretraining suite holds only pretraining
// problems, and the split of a demo file matches the part of each record.
TEST(MiniPartition, RecordsComeFromTheirParts) {
  SuiteOptions o = demo_options(5);
  const auto demo = generate_suite(o);
  o.pretraining = true;
  const auto pre = generate_suite(o);
  const std::map<std::string, Family> fam = {{"gsm8k", Family::gsm8k}, {"math", Family::math}, {"mbpp", Family::mbpp},
                                             {"humaneval", Family::humaneval}, {"arc", Family::arc}};
  for (const auto& f : pre)
    for (const auto& r : f.records) {
      const Family family = fam.at(family_of(f.path));
      EXPECT_EQ(problem_part(family, problem_key(family, r)), Part::pretraining) << f.path;
    }
  for (const auto& f : demo) {
    const Family family = fam.at(family_of(f.path));
    for (size_t i = 0; i < f.records.size(); ++i) {
      const Part p = problem_part(family, problem_key(family, f.records[i]));
      if (f.path == "gsm8k/train.jsonl" || f.path == "arc/ARC-Easy-Train.jsonl") {
        EXPECT_EQ(p, i % 2 == 0 ? Part::train : Part::valid) << f.path << " " << i;
      } else if (f.path == "math/valid.jsonl" || f.path == "humaneval/valid.jsonl") {
        EXPECT_EQ(p, Part::valid) << f.path << " " << i;
      } else if (f.path != "mbpp/mbpp.jsonl") {
        EXPECT_EQ(p, Part::test) << f.path << " " << i;
      }
    }
  }
  // Labels and option order do not change an ARC-like problem's part.
  json q = pre[3].records[0];
  std::swap(q["question"]["choices"][0]["text"], q["question"]["choices"][1]["text"]);
  q["question"]["choices"][0]["label"] = "1";
  EXPECT_EQ(problem_key(Family::arc, q), problem_key(Family::arc, pre[3].records[0]));
}

}  // namespace
}  // namespace t2::mini
