// The bounded line reader and the JSONL reader on top of it: lines (LF, CRLF, a last line without
// newline) as std::getline would give them, a line beyond the bound stops the read naming its line
// (also for an endless /dev/zero and inside a gzip file), folders are refused, and an empty or
// blank file holds no records.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "io/file.h"
#include "io/jsonl.h"
#include "io/line_reader.h"

namespace t2::io {
namespace {

namespace fs = std::filesystem;

class LineReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("t2_line_reader_test_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string p = (dir_ / name).string();
    write_file_atomic(p, text);
    return p;
  }
  static std::string error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

std::vector<std::string> all_lines(const std::string& path, size_t bound = kDefaultMaxLineBytes) {
  LineReader in(path, bound);
  std::vector<std::string> out;
  for (std::string line; in.next(line);) out.push_back(line);
  return out;
}

TEST_F(LineReaderTest, LinesAsWritten) {
  // Lines longer than the reader's 64 KiB chunk cross chunk boundaries.
  const std::string big(200000, 'x');
  const std::string p = write("a.txt", "one\r\n\ntwo\n" + big + "\nlast");
  EXPECT_EQ(all_lines(p), (std::vector<std::string>{"one", "", "two", big, "last"}));
  EXPECT_TRUE(all_lines(write("empty.txt", "")).empty());
}

TEST_F(LineReaderTest, ALineBeyondTheBoundNamesItsLine) {
  const std::string p = write("long.txt", "short\nalso short\n" + std::string(5000, 'y') + "\nafter\n");
  EXPECT_EQ(all_lines(p, 5000).size(), 4u);  // exactly at the bound is fine
  const std::string m = error_of([&] { all_lines(p, 4999); });
  EXPECT_NE(m.find("long.txt:3: line longer than 4999 bytes"), std::string::npos) << m;
  // Without any newline: a device that never ends stops at the bound, not at the end of memory.
  const std::string z = error_of([] { all_lines("/dev/zero", 1 << 20); });
  EXPECT_NE(z.find("/dev/zero:1: line longer than 1048576 bytes"), std::string::npos) << z;
}

TEST_F(LineReaderTest, FoldersAndMissingFilesAreRefused) {
  EXPECT_NE(error_of([&] { LineReader in(dir_.string()); }).find("is a directory"), std::string::npos);
  EXPECT_NE(error_of([&] { LineReader in((dir_ / "nope").string()); }).find("cannot open"), std::string::npos);
}

TEST_F(LineReaderTest, JsonlIsBoundedAndAnEmptyFileHoldsNoRecords) {
  const std::string p = write("d.jsonl", "{\"a\": 1}\n{\"a\": \"" + std::string(3000, 'z') + "\"}\n");
  EXPECT_EQ(read_jsonl(p).size(), 2u);
  EXPECT_NE(error_of([&] { read_jsonl(p, 1000); }).find("d.jsonl:2: line longer than 1000 bytes"),
            std::string::npos);
  EXPECT_NE(error_of([] { read_jsonl("/dev/zero", 1 << 16); }).find("/dev/zero:1:"), std::string::npos);
  // Inside a gzip file the bound holds too (the first HumanEval record is longer than 100 bytes).
  EXPECT_NE(error_of([] { read_jsonl("../shared/datasets/humaneval/HumanEval.jsonl.gz", 100); })
                .find("HumanEval.jsonl.gz:1: line longer than 100 bytes"),
            std::string::npos);
  for (const char* text : {"", "\n\n  \n\t\n"}) {
    const std::string e = write("e.jsonl", text);
    const auto recs = read_jsonl(e);
    EXPECT_TRUE(recs.empty());
    EXPECT_NE(error_of([&] { require_records(recs, e); }).find("holds no records"), std::string::npos);
  }
}

}  // namespace
}  // namespace t2::io
