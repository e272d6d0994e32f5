// Oracle checks on the real benchmark files in ../shared/datasets: every gold answer scores
// correct and perturbed answers score wrong, in clean mode; record counts match SOURCES.md.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "base/error.h"
#include "io/file.h"
#include "tasks/task.h"

namespace t2::tasks {
namespace {

const std::string kData = "../shared/datasets/";

struct OracleCase {
  const char* task;
  const char* file;
  size_t n_records;
};

class TextOracle : public ::testing::TestWithParam<OracleCase> {};

TEST_P(TextOracle, GoldScoresAllAndPerturbedNone) {
  const auto& c = GetParam();
  auto task = make_task(c.task);
  const Dataset ds = task->load(kData + c.file);
  EXPECT_TRUE(ds.errors.empty()) << ds.errors.front().message;
  ASSERT_EQ(ds.samples.size(), c.n_records);
  ScoreOptions clean;
  size_t gold_ok = 0, perturbed_ok = 0;
  for (const auto& s : ds.samples) {
    const Verdict g = task->score(s, task->gold_completion(s), clean);
    gold_ok += g.correct;
    EXPECT_TRUE(g.correct) << c.file << " id " << s.id << ": gold '" << s.gold << "' predicted '"
                           << g.prediction << "'";
    std::string wrong;
    if (std::string(c.task) == "gsm8k") {
      wrong = "After all that work the total is " + std::to_string(std::stoll(s.gold) + 1) + ".";
    } else if (std::string(c.task) == "math") {
      wrong = "So the final result is \\boxed{" + s.gold + "+1}.";
    } else {  // arc: the next label
      const auto labels = s.extra.at("labels").get<std::vector<std::string>>();
      size_t k = 0;
      while (labels[k] != s.gold) ++k;
      wrong = "Thinking it over, the answer is (" + labels[(k + 1) % labels.size()] + ").";
    }
    const Verdict w = task->score(s, wrong, clean);
    perturbed_ok += w.correct;
    EXPECT_FALSE(w.correct) << c.file << " id " << s.id << ": perturbed '" << wrong << "' accepted";
  }
  EXPECT_EQ(gold_ok, ds.samples.size());
  EXPECT_EQ(perturbed_ok, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    RealFiles, TextOracle,
    ::testing::Values(OracleCase{"gsm8k", "gsm8k/test.jsonl", 1319},
                      OracleCase{"gsm8k", "gsm8k/train.jsonl", 7473},
                      OracleCase{"math", "math/test.jsonl", 500},
                      OracleCase{"arc", "arc/ARC-Challenge-Test.jsonl", 1172},
                      OracleCase{"arc", "arc/ARC-Challenge-Train.jsonl", 1119},
                      OracleCase{"arc", "arc/ARC-Challenge-Dev.jsonl", 299},
                      OracleCase{"arc", "arc/ARC-Easy-Test.jsonl", 2376},
                      OracleCase{"arc", "arc/ARC-Easy-Train.jsonl", 2251},
                      OracleCase{"arc", "arc/ARC-Easy-Dev.jsonl", 570}),
    [](const auto& info) {
      std::string n = info.param.file;
      for (char& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST(Gsm8kFile, GoldQuirksAsDocumented) {
  auto task = make_task("gsm8k");
  const Dataset ds = task->load(kData + "gsm8k/test.jsonl");
  size_t commas = 0, negative = 0;
  for (const auto& s : ds.samples) {
    const std::string ans = s.extra.at("solution").get<std::string>();
    commas += ans.substr(ans.rfind("####")).find(',') != std::string::npos;
    negative += s.gold[0] == '-';
  }
  EXPECT_EQ(commas, 14u);
  EXPECT_EQ(negative, 2u);
  EXPECT_EQ(ds.samples[0].id, "0");
  EXPECT_EQ(ds.samples[1318].id, "1318");
}

TEST(ArcFile, LabelVariantsOfChallengeTest) {
  auto task = make_task("arc");
  const Dataset ds = task->load(kData + "arc/ARC-Challenge-Test.jsonl");
  size_t numeric = 0, three = 0, five = 0;
  for (const auto& s : ds.samples) {
    const auto labels = s.extra.at("labels").get<std::vector<std::string>>();
    numeric += labels[0] == "1";
    three += labels.size() == 3;
    five += labels.size() == 5;
  }
  EXPECT_EQ(numeric, 22u);  // 21 "1234" + 1 "123"
  EXPECT_EQ(three, 4u);     // 1 "123" + 3 "ABC"
  EXPECT_EQ(five, 3u);
}

}  // namespace
}  // namespace t2::tasks

namespace t2::tasks {
namespace {

TEST(Loader, BadRecordsBecomeErrorsWithFileAndLine) {
  const std::string dir = ::testing::TempDir() + "t2_loader_test";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/bad.jsonl";
  io::write_file_atomic(path,
                        "{\"question\": \"q0\", \"answer\": \"x\\n#### 5\"}\n"
                        "{\"question\": \"q1\"}\n"
                        "{\"question\": 7, \"answer\": \"#### 1\"}\n"
                        "{\"question\": \"caf\xc3\", \"answer\": \"#### 1\"}\n"
                        "{\"question\": \"q4\", \"answer\": \"no marker\"}\n"
                        "{\"question\": \"q5\", \"answer\": \"#### 1,000\"}\n");
  auto task = make_task("gsm8k");
  const Dataset ds = task->load(path);
  ASSERT_EQ(ds.samples.size(), 2u);
  EXPECT_EQ(ds.samples[0].id, "0");
  EXPECT_EQ(ds.samples[1].id, "5");  // ids stay the line index even after bad lines
  EXPECT_EQ(ds.samples[1].gold, "1000");
  ASSERT_EQ(ds.errors.size(), 4u);
  const char* expect[] = {"bad.jsonl:2: gsm8k record: missing field 'answer'",
                          "bad.jsonl:3: gsm8k record: field 'question': expected a string, found number",
                          "bad.jsonl:4: invalid JSON", "bad.jsonl:5: gsm8k record: field 'answer'"};
  for (size_t i = 0; i < 4; ++i)
    EXPECT_NE(ds.errors[i].message.find(expect[i]), std::string::npos) << ds.errors[i].message;
  EXPECT_EQ(ds.errors[0].line, 2u);
  std::filesystem::remove_all(dir);
}

// No records at all is an error (an empty file would otherwise give a complete report without the
// task), and so is a path that is not a file; both name what they found.
TEST(Loader, EmptyFilesAndNonFilesAreRefused) {
  const std::string dir = ::testing::TempDir() + "t2_loader_empty_test";
  std::filesystem::create_directories(dir);
  io::write_file_atomic(dir + "/empty.jsonl", "");
  io::write_file_atomic(dir + "/blank.jsonl", "\n  \n\t\r\n");
  auto task = make_task("gsm8k");
  for (const char* name : {"/empty.jsonl", "/blank.jsonl"}) {
    try {
      task->load(dir + name);
      FAIL() << name << " was loaded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("holds no records"), std::string::npos) << e.what();
    }
  }
  for (const auto& [path, found] : {std::pair{dir, "found a directory"},
                                    std::pair{std::string("/dev/zero"), "found a character device"}}) {
    try {
      task->load(path);
      FAIL() << path << " was loaded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(found), std::string::npos) << e.what();
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(Loader, ArcRejectsAnswerKeyOutsideLabels) {
  auto task = make_task("arc");
  EXPECT_THROW(task->parse_record({{"id", "x"},
                                   {"question", {{"stem", "s"}, {"choices", {{{"label", "A"}, {"text", "a"}}, {{"label", "B"}, {"text", "b"}}}}}},
                                   {"answerKey", "C"}}, 0),
               Error);
}

}  // namespace
}  // namespace t2::tasks
