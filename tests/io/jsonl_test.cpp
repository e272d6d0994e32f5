// JSONL reader: per-line errors (bad JSON, invalid UTF-8) with file and line, CRLF and blank lines,
// transparent gzip (checked on the real HumanEval.jsonl.gz), truncated gzip is an error.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/error.h"
#include "io/file.h"
#include "io/jsonl.h"

namespace t2::io {
namespace {

TEST(Jsonl, PerLineErrorsAndLoadingGoesOn) {
  const std::string text = "{\"a\": 1}\r\n\n{\"a\": \n{\"s\": \"caf\xc3\"}\n[1,2]";
  const auto recs = parse_jsonl(text, "x.jsonl");
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_TRUE(recs[0].ok());
  EXPECT_EQ(recs[0].value["a"], 1);
  EXPECT_EQ(recs[0].line, 1u);
  EXPECT_FALSE(recs[1].ok());
  EXPECT_EQ(recs[1].line, 3u);
  EXPECT_NE(recs[1].error.find("x.jsonl:3:"), std::string::npos) << recs[1].error;
  EXPECT_FALSE(recs[2].ok());  // invalid UTF-8
  EXPECT_NE(recs[2].error.find("x.jsonl:4:"), std::string::npos) << recs[2].error;
  EXPECT_TRUE(recs[3].ok());
  EXPECT_EQ(recs[3].line, 5u);
}

TEST(Jsonl, ReadsRealGzip) {
  const auto recs = read_jsonl("../shared/datasets/humaneval/HumanEval.jsonl.gz");
  ASSERT_EQ(recs.size(), 164u);
  for (const auto& r : recs) ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(recs[0].value["task_id"], "HumanEval/0");
  EXPECT_EQ(recs[163].value["task_id"], "HumanEval/163");
}

TEST(Jsonl, TruncatedGzipIsAnError) {
  const std::string gz = read_file("../shared/datasets/humaneval/HumanEval.jsonl.gz");
  const auto dir = std::filesystem::temp_directory_path() / "t2_jsonl_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "cut.jsonl.gz").string();
  write_file_atomic(path, gz.substr(0, gz.size() / 2));
  try {
    read_jsonl(path);
    FAIL() << "a truncated gzip file was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.jsonl.gz"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
  EXPECT_THROW(read_jsonl("/nonexistent/x.jsonl"), Error);
}

}  // namespace
}  // namespace t2::io
