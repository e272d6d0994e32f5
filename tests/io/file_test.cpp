// Whole-file helpers: round trip, atomic replacement, clear errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/error.h"
#include "io/file.h"

namespace t2::io {
namespace {

TEST(File, AtomicWriteReplacesAndLeavesNoTemporary) {
  const auto dir = std::filesystem::temp_directory_path() / "t2_file_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "a.bin").string();
  write_file_atomic(path, "first");
  write_file_atomic(path, std::string("sec\0ond", 7));
  EXPECT_EQ(read_file(path), std::string("sec\0ond", 7));
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file();
  EXPECT_EQ(n, 1);
  EXPECT_TRUE(file_exists(path));
  EXPECT_FALSE(file_exists((dir / "missing").string()));
  std::filesystem::remove_all(dir);
}

TEST(File, MissingFileNamesPath) {
  try {
    read_file("/nonexistent/t2/x.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/t2/x.json"), std::string::npos);
  }
}

TEST(File, AtomicWriteToMissingDirectoryFails) {
  EXPECT_THROW(write_file_atomic("/nonexistent/t2/x.json", "x"), Error);
}

}  // namespace
}  // namespace t2::io
