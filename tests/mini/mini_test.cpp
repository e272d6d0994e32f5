// The mini suite: deterministic, in the real schemas, and correct by independent checks — worked
// arithmetic re-evaluated here, \boxed answers matched, and every code problem's reference solution
// run against its tests by the real python3.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "io/file.h"
#include "mini/mini.h"

namespace t2::mini {
namespace {

using nlohmann::json;

SuiteOptions small_options() {
  SuiteOptions o;
  o.n_gsm8k_train = 200;
  o.n_gsm8k_test = 50;
  o.n_math_test = 120;
  o.n_math_valid = 30;
  o.n_mbpp = 150;
  o.n_humaneval = 60;
  o.n_humaneval_valid = 20;
  o.n_arc_easy_train = 200;
  o.n_arc_easy_test = 50;
  o.n_arc_challenge_test = 200;
  return o;
}

const SuiteFile& file(const std::vector<SuiteFile>& s, const std::string& path) {
  for (const auto& f : s)
    if (f.path == path) return f;
  throw std::runtime_error("missing " + path);
}

TEST(MiniSuite, DeterministicPerSeedAndDifferentAcrossSeeds) {
  auto o = small_options();
  const auto a = generate_suite(o), b = generate_suite(o);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(json(a[i].records), json(b[i].records)) << a[i].path;
  o.seed += 1;
  const auto c = generate_suite(o);
  EXPECT_NE(json(a[0].records), json(c[0].records));
}

TEST(MiniSuite, Gsm8kWorkedStepsAreRightAndTrainTestDiffer) {
  const auto s = generate_suite(small_options());
  const std::regex step(R"((\d+) ([-+*/]) (\d+) = (\d+))");
  std::set<std::string> train_q;
  for (const auto& r : file(s, "gsm8k/train.jsonl").records) train_q.insert(r["question"]);
  int overlap = 0;
  for (const auto* name : {"gsm8k/train.jsonl", "gsm8k/test.jsonl"}) {
    for (const auto& r : file(s, name).records) {
      const std::string answer = r["answer"];
      const auto hash = answer.rfind("\n#### ");
      ASSERT_NE(hash, std::string::npos) << answer;
      const long gold = std::stol(answer.substr(hash + 6));
      long last = -1;
      for (std::sregex_iterator it(answer.begin(), answer.end(), step), end; it != end; ++it) {
        const long x = std::stol((*it)[1]), y = std::stol((*it)[3]), z = std::stol((*it)[4]);
        const char op = (*it)[2].str()[0];
        const long want = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
        EXPECT_EQ(want, z) << answer;
        EXPECT_LE(y, 9) << answer;  // small numbers: the mini model can learn these facts
        EXPECT_LE(x, 36) << answer;
        if (op == '/') {
          EXPECT_EQ(x % y, 0) << answer;
        }
        last = z;
      }
      EXPECT_EQ(last, gold) << answer;
      if (std::string(name) == "gsm8k/test.jsonl") overlap += train_q.count(r["question"]);
    }
  }
  EXPECT_LT(overlap, 5);  // memorising the training questions does not solve the test set
}

// MATH-like solutions are worked in the GSM8K-like form, one "x op y = z." step per sentence, then
// "The answer is $\boxed{...}$." on a line of its own: every step's arithmetic is right, each
// starts the solution or follows a step, and the last step's value is the answer (a fraction's
// steps are its numerator and denominator divided by their greatest common divisor).
TEST(MiniSuite, MathWorkedStepsAreRightAndEndInTheAnswer) {
  const auto s = generate_suite(small_options());
  const std::regex step(R"((\d+) ([-+*/]) (\d+) = (\d+)\.)");
  for (const auto* name : {"math/test.jsonl", "math/valid.jsonl"}) {
    for (const auto& r : file(s, name).records) {
      const std::string sol = r["solution"], ans = r["answer"];
      const auto nl = sol.rfind('\n');
      ASSERT_NE(nl, std::string::npos) << sol;
      EXPECT_EQ(sol.substr(nl + 1), "The answer is $\\boxed{" + ans + "}$.");
      const std::string work = sol.substr(0, nl);
      std::vector<long> values;
      size_t at = 0;
      for (std::sregex_iterator it(work.begin(), work.end(), step), end; it != end; ++it) {
        EXPECT_EQ(static_cast<size_t>(it->position()), at == 0 ? 0 : at + 1) << sol;  // nothing between steps
        at = static_cast<size_t>(it->position() + it->length());
        const long x = std::stol((*it)[1]), y = std::stol((*it)[3]), z = std::stol((*it)[4]);
        const char op = (*it)[2].str()[0];
        if (op == '/') EXPECT_EQ(x % y, 0) << sol;
        EXPECT_EQ(op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y, z) << sol;
        values.push_back(z);
      }
      ASSERT_FALSE(values.empty()) << sol;
      EXPECT_EQ(at, work.size()) << sol;
      if (ans.rfind("\\frac{", 0) == 0) {
        ASSERT_EQ(values.size(), 2u) << sol;
        EXPECT_EQ(ans, "\\frac{" + std::to_string(values[0]) + "}{" + std::to_string(values[1]) + "}");
      } else {
        EXPECT_EQ(std::to_string(values.back()), ans) << sol;
      }
    }
  }
}

TEST(MiniSuite, MathAnswersAreTheLastBoxedValue) {
  const auto s = generate_suite(small_options());
  std::set<std::string> subjects;
  for (const auto& r : file(s, "math/test.jsonl").records) {
    const std::string sol = r["solution"], ans = r["answer"];
    const auto pos = sol.rfind("\\boxed{");
    ASSERT_NE(pos, std::string::npos);
    // Balanced-brace content of the last box.
    int depth = 1;
    size_t i = pos + 7;
    std::string content;
    for (; i < sol.size() && depth > 0; ++i) {
      if (sol[i] == '{') ++depth;
      if (sol[i] == '}' && --depth == 0) break;
      content += sol[i];
    }
    EXPECT_EQ(content, ans);
    EXPECT_TRUE(std::regex_match(std::string(r["unique_id"]), std::regex(R"(test/[a-z_]+/\d+\.json)")));
    EXPECT_GE(r["level"].get<int>(), 1);
    subjects.insert(r["subject"]);
  }
  EXPECT_GE(subjects.size(), 3u);
}

TEST(MiniSuite, ArcKeysAreUniqueLabelsWithDistinctOptions) {
  const auto s = generate_suite(small_options());
  std::set<std::string> label_styles;
  for (const auto* name : {"arc/ARC-Easy-Train.jsonl", "arc/ARC-Easy-Test.jsonl", "arc/ARC-Challenge-Test.jsonl"}) {
    std::set<std::string> ids;
    for (const auto& r : file(s, name).records) {
      EXPECT_TRUE(ids.insert(r["id"]).second);
      std::set<std::string> texts;
      std::string labels;
      int keys = 0;
      for (const auto& c : r["question"]["choices"]) {
        EXPECT_TRUE(texts.insert(c["text"]).second) << r.dump();
        labels += c["label"].get<std::string>();
        keys += c["label"] == r["answerKey"];
      }
      EXPECT_EQ(keys, 1) << r.dump();
      label_styles.insert(labels);
    }
  }
  // The challenge set mixes label styles as the real ARC-Challenge does.
  EXPECT_TRUE(label_styles.count("ABCD") && label_styles.count("1234") && label_styles.count("ABCDE") &&
              label_styles.count("ABC"));
}

// Runs every reference solution against its tests in one python3 process; each program gets a fresh
// namespace. Prints the number of failures.
TEST(MiniSuite, ReferenceSolutionsPassTheirTestsInPython) {
  const auto s = generate_suite(small_options());
  json programs = json::array();
  for (const auto& r : file(s, "mbpp/mbpp.jsonl").records) {
    std::string p = r["code"].get<std::string>() + "\n";
    for (const auto& t : r["test_list"]) p += t.get<std::string>() + "\n";
    programs.push_back({{"program", p}, {"should_pass", true}});
    // A perturbed solution must fail at least one test.
    std::string bad = r["code"].get<std::string>();
    bad.replace(bad.find("return "), 7, "return None and ");
    for (const auto& t : r["test_list"]) bad += "\n" + t.get<std::string>();
    programs.push_back({{"program", bad}, {"should_pass", false}});
  }
  for (const auto& r : file(s, "humaneval/HumanEval.jsonl").records) {
    const std::string p = r["prompt"].get<std::string>() + r["canonical_solution"].get<std::string>() +
                          r["test"].get<std::string>() + "\ncheck(" + r["entry_point"].get<std::string>() + ")\n";
    programs.push_back({{"program", p}, {"should_pass", true}});
  }
  const auto dir = std::filesystem::temp_directory_path() / "t2_mini_test";
  std::filesystem::create_directories(dir);
  io::write_file_atomic((dir / "programs.json").string(), programs.dump());
  io::write_file_atomic((dir / "run.py").string(),
                        "import json, sys\n"
                        "bad = 0\n"
                        "for item in json.load(open(sys.argv[1])):\n"
                        "    try:\n"
                        "        exec(item['program'], {})\n"
                        "        ok = True\n"
                        "    except Exception:\n"
                        "        ok = False\n"
                        "    if ok != item['should_pass']:\n"
                        "        bad += 1\n"
                        "        print(item['program'], file=sys.stderr)\n"
                        "print(bad)\n");
  const std::string cmd = "python3 " + (dir / "run.py").string() + " " + (dir / "programs.json").string();
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[64] = {0};
  ASSERT_NE(fgets(buf, sizeof buf, pipe), nullptr);
  EXPECT_EQ(pclose(pipe), 0);
  EXPECT_EQ(std::string(buf), "0\n");
  std::filesystem::remove_all(dir);
}

TEST(MiniSuite, WritesRealFileNamesAsJsonLines) {
  const auto dir = std::filesystem::temp_directory_path() / "t2_mini_write";
  std::filesystem::remove_all(dir);
  auto o = small_options();
  const size_t n = write_suite(generate_suite(o), dir.string());
  EXPECT_EQ(n, static_cast<size_t>(o.n_gsm8k_train + o.n_gsm8k_test + o.n_math_test + o.n_math_valid + o.n_mbpp +
                                   o.n_humaneval + o.n_humaneval_valid + o.n_arc_easy_train + o.n_arc_easy_test +
                                   o.n_arc_challenge_test));
  const std::string text = io::read_file((dir / "gsm8k/test.jsonl").string());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), o.n_gsm8k_test);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_TRUE(std::filesystem::exists(dir / "humaneval/HumanEval.jsonl"));
  EXPECT_TRUE(std::filesystem::exists(dir / "math/valid.jsonl"));
  EXPECT_TRUE(std::filesystem::exists(dir / "humaneval/valid.jsonl"));
  EXPECT_TRUE(std::filesystem::exists(dir / "arc/ARC-Challenge-Test.jsonl"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace t2::mini
