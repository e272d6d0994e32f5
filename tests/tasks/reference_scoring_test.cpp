// `--scoring reference` against the reference scorer's own verdicts: every case of
// ../shared/fixtures/reference_scoring/ (made by running the reference's code, see SOURCES.md
// there) is loaded through the task's loader from the real data file and scored; the verdict and
// the extracted prediction must equal the reference's, and the inputs on which the reference
// raises must come back as errors that say so. Also the CPython generator behind the ARC guess.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/file.h"
#include "tasks/reference/python_random.h"
#include "tasks/reference/python_text.h"
#include "tasks/task.h"

namespace t2::tasks {
namespace {

using nlohmann::json;
const std::string kFixtures = "../shared/fixtures/reference_scoring/";

std::vector<json> read_cases(const std::string& file) {
  std::istringstream in(io::read_file(kFixtures + file));
  std::vector<json> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

// The task's samples of a real data file, by 0-based record index.
const std::vector<Sample>& samples(const std::string& task, const std::string& file) {
  static std::map<std::string, std::vector<Sample>> cache;
  auto& v = cache[file];
  if (v.empty()) {
    Dataset d = make_task(task)->load("../shared/datasets/" + file);
    EXPECT_TRUE(d.errors.empty()) << file;
    v = std::move(d.samples);
  }
  return v;
}

struct Tally {
  size_t n = 0, agree = 0;
};

// Scores every case of a fixture file in reference mode and compares with the reference.
Tally check_file(const std::string& fixture, const std::string& task, const std::string& data) {
  const auto t = make_task(task);
  ScoreOptions ref;
  ref.mode = ScoringMode::reference;
  Tally tally;
  for (const json& c : read_cases(fixture)) {
    ++tally.n;
    const auto& all = samples(task, data);
    const size_t idx = c.at("record_index").get<size_t>();
    if (idx >= all.size() || all[idx].id != c.at("id").get<std::string>()) {
      ADD_FAILURE() << c.at("case") << ": record " << idx << " of " << data << " is not " << c.at("id");
      continue;
    }
    const Sample& s = all[idx];
    const std::string completion = c.at("completion");
    const Verdict v = t->score(s, completion, ref);
    const json& want = c.at("reference_extracted");
    bool same_prediction;
    if (task == "gsm8k") {
      const auto p = reference::py_float(v.prediction);
      same_prediction = want.is_null() ? v.prediction.empty() : (p && *p == want.get<double>());
    } else {
      same_prediction = want.is_null() ? v.prediction.empty() : v.prediction == want.get<std::string>();
    }
    const bool same = v.status != "error" && v.correct == c.at("reference_correct").get<bool>() && same_prediction;
    tally.agree += same;
    EXPECT_TRUE(same) << c.at("case") << " (" << c.at("note") << ")\ncompletion: " << completion
                      << "\ngold: " << c.at("gold") << "\nreference: " << c.at("reference_correct") << " "
                      << want << "\nt2: " << v.correct << " '" << v.prediction << "' " << v.status << " "
                      << v.detail;
  }
  std::printf("%s: %zu / %zu cases agree with the reference\n", fixture.c_str(), tally.agree, tally.n);
  return tally;
}

TEST(ReferenceScoring, Gsm8kEveryCase) {
  EXPECT_EQ(check_file("gsm8k.jsonl", "gsm8k", "gsm8k/test.jsonl").n, 181u);
}

TEST(ReferenceScoring, MathEveryCase) {
  EXPECT_EQ(check_file("math.jsonl", "math", "math/test.jsonl").n, 414u);
}

TEST(ReferenceScoring, ArcChallengeEveryCase) {
  EXPECT_EQ(check_file("arc_challenge.jsonl", "arc", "arc/ARC-Challenge-Test.jsonl").n, 200u);
}

TEST(ReferenceScoring, ArcEasyEveryCase) {
  EXPECT_EQ(check_file("arc_easy.jsonl", "arc", "arc/ARC-Easy-Test.jsonl").n, 195u);
}

// Where the reference raises (its run would stop), t2 gives no verdict and says why.
TEST(ReferenceScoring, MathInputsOnWhichTheReferenceRaises) {
  const auto t = make_task("math");
  ScoreOptions ref;
  ref.mode = ScoringMode::reference;
  const auto cases = read_cases("math_raises.jsonl");
  ASSERT_EQ(cases.size(), 6u);
  for (const json& c : cases) {
    const Sample& s = samples("math", "math/test.jsonl").at(c.at("record_index").get<size_t>());
    const Verdict v = t->score(s, c.at("completion").get<std::string>(), ref);
    EXPECT_EQ(v.status, "error") << c.at("case");
    EXPECT_FALSE(v.correct) << c.at("case");
    EXPECT_EQ(v.prediction, c.at("reference_extracted").get<std::string>()) << c.at("case");
    EXPECT_NE(v.detail.find("IndexError"), std::string::npos) << v.detail;
  }
}

// Values drawn by CPython 3.11 (random.seed(s); random.randint(...)) printed once by python3.
TEST(ReferenceScoring, PythonRandomMatchesCPython) {
  std::vector<int64_t> guesses;
  for (int n = 1; n <= 11; ++n) guesses.push_back(reference::PythonRandom(42).randint(0, n - 1));
  EXPECT_EQ(guesses, (std::vector<int64_t>{0, 0, 2, 0, 0, 5, 5, 1, 1, 1, 10}));
  reference::PythonRandom r7(7);
  std::vector<int64_t> draws;
  for (int i = 0; i < 5; ++i) draws.push_back(r7.randint(0, 100));
  EXPECT_EQ(draws, (std::vector<int64_t>{41, 19, 50, 83, 6}));
  EXPECT_EQ(r7.getrandbits(32), 311111475u);
  reference::PythonRandom big(4294967295u);
  draws.clear();
  for (int i = 0; i < 5; ++i) draws.push_back(big.randint(0, 9));
  EXPECT_EQ(draws, (std::vector<int64_t>{9, 3, 3, 9, 8}));
}

}  // namespace
}  // namespace t2::tasks
