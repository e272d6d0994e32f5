// What a path is, in words: missing, folder, device, t2 files by their format tag, other HDF5 and
// plain files; require_regular_file names what it found.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/error.h"
#include "io/file.h"
#include "io/file_kind.h"
#include "io/h5.h"

namespace t2::io {
namespace {

namespace fs = std::filesystem;

TEST(FileKind, DescribesWhatIsThere) {
  const fs::path dir = fs::temp_directory_path() / "t2_file_kind_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string d = dir.string();
  EXPECT_EQ(describe_path(d + "/nope"), "no such file");
  EXPECT_EQ(describe_path(d), "a directory");
  EXPECT_EQ(describe_path("/dev/zero"), "a character device");
  write_file_atomic(d + "/plain.txt", "text");
  EXPECT_EQ(describe_path(d + "/plain.txt"), "a regular file");
  { h5::File::create(d + "/report.h5").set_attr("schema", "t2-report"); }
  { h5::File::create(d + "/expert.h5").set_attr("format", "t2-svf-expert"); }
  { h5::File::create(d + "/store.h5").set_attr("format", "t2-svd-store"); }
  { h5::File::create(d + "/other.h5").set_attr("x", "y"); }
  EXPECT_EQ(describe_path(d + "/report.h5"), "a t2 report");
  EXPECT_EQ(describe_path(d + "/expert.h5"), "an SVF expert");
  EXPECT_EQ(describe_path(d + "/store.h5"), "an SVD store");
  EXPECT_EQ(describe_path(d + "/other.h5"), "an HDF5 file not written by t2");
  EXPECT_EQ(t2_format(d + "/report.h5"), "t2-report");
  EXPECT_EQ(t2_format(d + "/plain.txt"), "");

  EXPECT_EQ(file_problem(d + "/plain.txt"), "");
  EXPECT_EQ(file_problem(d + "/nope"), "no such file");
  EXPECT_EQ(file_problem(d), "expected a file, found a directory");
  EXPECT_NO_THROW(require_regular_file(d + "/plain.txt", "--data"));
  try {
    require_regular_file("/dev/zero", "--data");
    FAIL() << "a device accepted as a file";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "--data '/dev/zero': expected a file, found a character device");
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace t2::io
