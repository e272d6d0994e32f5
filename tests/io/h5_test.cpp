// HDF5 layer: round trips of every supported type and shape, attributes, strings, chunked and
// extendible datasets, row access, and clear errors for missing, mistyped, truncated or foreign files.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "io/file.h"
#include "io/h5.h"

namespace t2::io::h5 {
namespace {

namespace fs = std::filesystem;

class H5Test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("t2_h5_test_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// Expects fn to throw t2::Error whose message contains every needle.
template <class Fn> void expect_error(Fn&& fn, std::initializer_list<std::string> needles) {
  try {
    fn();
    FAIL() << "expected t2::Error";
  } catch (const Error& e) {
    for (const auto& n : needles) {
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos)
          << "message '" << e.what() << "' lacks '" << n << "'";
    }
  }
}

TEST_F(H5Test, NumericRoundTripAllTypesAndShapes) {
  const std::string p = path("a.h5");
  std::vector<float> f32(6);
  std::vector<double> f64(6);
  std::vector<int32_t> i32(5);
  std::vector<int64_t> i64(3);
  for (int i = 0; i < 6; ++i) f32[i] = 0.5f * i - 1.25f, f64[i] = std::sqrt(2.0) * i;
  for (int i = 0; i < 5; ++i) i32[i] = -7 + 1000000 * i;
  for (int i = 0; i < 3; ++i) i64[i] = (int64_t{1} << 40) * (i + 1) - 3;
  {
    File f = File::create(p);
    f.write("m/f32", f32, {2, 3});
    f.write("m/f64", f64, {3, 2});
    f.write("i32", i32);
    f.write("i64", i64);
    f.write("empty", std::span<const float>{});
  }
  File f = File::open(p);
  EXPECT_FALSE(f.writable());
  EXPECT_EQ(f.dataset("m/f32").shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f.dataset("m/f32").dtype(), DType::f32);
  EXPECT_EQ(f.dataset("m/f32").read_f32(), f32);
  EXPECT_EQ(f.dataset("m/f64").shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(f.dataset("m/f64").read_f64(), f64);
  EXPECT_EQ(f.dataset("i32").read_i32(), i32);
  EXPECT_EQ(f.dataset("i64").read_i64(), i64);
  EXPECT_EQ(f.dataset("empty").n_elements(), 0);
  // f32 widened to f64 and f64 narrowed to f32 are exact here / rounded.
  auto wide = f.dataset("m/f32").read_f64();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(wide[i], static_cast<double>(f32[i]));
  auto narrow = f.dataset("m/f64").read_f32();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(narrow[i], static_cast<float>(f64[i]));
  // i32 widened to i64.
  auto iw = f.dataset("i32").read_i64();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(iw[i], i32[i]);
}

TEST_F(H5Test, GroupsChildrenExistenceAndRemove) {
  const std::string p = path("g.h5");
  File f = File::create(p);
  Group g = f.create_group("model.layers.0.mlp.up_proj.weight");
  g.write("S", std::vector<float>{3, 2, 1});
  f.create_group("a/b/c");
  EXPECT_TRUE(f.has("a/b/c"));
  EXPECT_TRUE(f.has_group("a/b"));
  EXPECT_FALSE(f.has_dataset("a/b"));
  EXPECT_TRUE(f.has_dataset("model.layers.0.mlp.up_proj.weight/S"));
  EXPECT_FALSE(f.has("x/y/z"));
  EXPECT_FALSE(f.has("a/x"));
  EXPECT_EQ(f.children(), (std::vector<std::string>{"a", "model.layers.0.mlp.up_proj.weight"}));
  EXPECT_EQ(f.group("a").children(), (std::vector<std::string>{"b"}));
  EXPECT_EQ(f.require_group("a").name(), "/a");
  EXPECT_EQ(f.require_group("new").name(), "/new");
  f.remove("a");
  EXPECT_FALSE(f.has("a"));
  expect_error([&] { f.group("a"); }, {p, "/a", "missing"});
  expect_error([&] { f.dataset("nope"); }, {p, "/nope", "missing"});
  expect_error([&] { f.create_group("new"); }, {"already exists"});
  expect_error([&] { g.write("S", std::vector<float>{1}); }, {"/model.layers.0.mlp.up_proj.weight/S",
                                                              "already exists"});
}

TEST_F(H5Test, AttributesAllKindsAndReplacement) {
  const std::string p = path("attr.h5");
  {
    File f = File::create(p);
    f.set_attr("task", "gsm8k ✓ UTF-8");
    f.set_attr("max_mult", 1.5);
    f.set_attr("n", int64_t{-42});
    f.set_attr("n", 43);  // replaces
    const std::vector<int64_t> shape{8192, 2048};
    f.set_attr("shape", std::span<const int64_t>(shape));
    const std::vector<double> v{0.25, -1.0};
    Dataset d = f.write("d", std::vector<double>{1, 2});
    d.set_attr("v", std::span<const double>(v));
    d.set_attr("empty", "");
  }
  File f = File::open(p);
  EXPECT_EQ(f.attr_string("task"), "gsm8k ✓ UTF-8");
  EXPECT_EQ(f.attr_f64("max_mult"), 1.5);
  EXPECT_EQ(f.attr_i64("n"), 43);
  EXPECT_EQ(f.attr_f64("n"), 43.0);  // integers read as numbers
  EXPECT_EQ(f.attr_i64_vec("shape"), (std::vector<int64_t>{8192, 2048}));
  EXPECT_TRUE(f.has_attr("task"));
  EXPECT_FALSE(f.has_attr("nope"));
  EXPECT_EQ(f.attr_names(), (std::vector<std::string>{"max_mult", "n", "shape", "task"}));
  Dataset d = f.dataset("d");
  EXPECT_EQ(d.attr_f64_vec("v"), (std::vector<double>{0.25, -1.0}));
  EXPECT_EQ(d.attr_string("empty"), "");
  expect_error([&] { f.attr_string("nope"); }, {p, "'nope'", "missing"});
  expect_error([&] { f.attr_string("max_mult"); }, {"'max_mult'", "expected a string", "f64"});
  expect_error([&] { f.attr_i64("max_mult"); }, {"expected an integer", "f64"});
  expect_error([&] { f.attr_f64("task"); }, {"'task'", "numeric", "string"});
  expect_error([&] { f.attr_f64("shape"); }, {"'shape'", "one value", "2"});
}

TEST_F(H5Test, StringDatasetsAndAppend) {
  const std::string p = path("s.h5");
  const std::vector<std::string> names{"model.layers.0.mlp.gate_proj.weight", "", "é∑"};
  {
    File f = File::create(p);
    f.write_strings("names", names);
    DatasetOptions opt;
    opt.extendible = true;
    Dataset d = f.create_dataset("log", DType::string, {0}, opt);
    d.append(std::vector<std::string>{"one"});
    d.append(std::vector<std::string>{"two", "three"});
  }
  File f = File::open(p);
  EXPECT_EQ(f.dataset("names").read_strings(), names);
  EXPECT_EQ(f.dataset("log").read_strings(), (std::vector<std::string>{"one", "two", "three"}));
  expect_error([&] { f.dataset("names").read_f32(); }, {"/names", "string", "f32"});
}

TEST_F(H5Test, ChunkedDeflatedExtendibleAndRows) {
  const std::string p = path("c.h5");
  std::vector<float> big(300 * 40);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i % 17);  // compressible
  {
    File f = File::create(p);
    DatasetOptions opt;
    opt.deflate = 6;
    f.write("big", big, {300, 40}, opt);
    DatasetOptions ext;
    ext.extendible = true;
    ext.chunk = {4, 3};
    Dataset d = f.create_dataset("rows", DType::i64, {0, 3}, ext);
    d.append(std::vector<int64_t>{1, 2, 3});
    d.append(std::vector<int64_t>{4, 5, 6, 7, 8, 9});
    d.write_rows(1, std::vector<int64_t>{40, 50, 60});
    expect_error([&] { d.append(std::vector<int64_t>{1, 2}); }, {"/rows", "whole number of rows"});
    Dataset fixed = f.write("fixed", std::vector<double>{1, 2, 3, 4}, {2, 2});
    expect_error([&] { fixed.append(std::vector<double>{1, 2}); }, {"/fixed", "extendible"});
    expect_error([&] { fixed.write_rows(1, std::vector<double>{1, 2, 3, 4}); }, {"outside"});
  }
  EXPECT_LT(fs::file_size(p), big.size() * sizeof(float) / 4);  // deflate really applied
  File f = File::open(p);
  EXPECT_EQ(f.dataset("big").read_f32(), big);
  std::vector<float> rows(2 * 40);
  f.dataset("big").read_rows(100, 2, rows);
  for (int i = 0; i < 80; ++i) EXPECT_EQ(rows[i], big[100 * 40 + i]);
  EXPECT_EQ(f.dataset("rows").shape(), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(f.dataset("rows").read_i64(), (std::vector<int64_t>{1, 2, 3, 40, 50, 60, 7, 8, 9}));
  expect_error([&] { f.dataset("big").read_rows(299, 2, rows); }, {"/big", "outside"});
}

TEST_F(H5Test, ReadWriteModeAddsToExistingFile) {
  const std::string p = path("rw.h5");
  File::create(p).write("a", std::vector<int32_t>{1});
  {
    File f = File::open(p, Mode::read_write);
    EXPECT_TRUE(f.writable());
    f.write("b", std::vector<int32_t>{2});
    f.flush();
  }
  File f = File::open(p);
  EXPECT_EQ(f.dataset("a").read_i32(), std::vector<int32_t>{1});
  EXPECT_EQ(f.dataset("b").read_i32(), std::vector<int32_t>{2});
  expect_error([&] { f.write("c", std::vector<int32_t>{3}); }, {p, "/c"});
}

TEST_F(H5Test, ShapeAndBufferMismatchesAreClear) {
  File f = File::create(path("m.h5"));
  expect_error([&] { f.write("x", std::vector<float>{1, 2, 3}, {2, 2}); },
               {"/x", "[2,2]", "needs 4", "got 3"});
  Dataset d = f.write("y", std::vector<float>{1, 2, 3});
  std::vector<float> small(2);
  expect_error([&] { d.read(std::span<float>(small)); }, {"/y", "3 elements", "buffer has 2"});
  expect_error([&] { d.read_i32(); }, {"/y", "f32", "i32"});
  DatasetOptions bad;
  bad.deflate = 11;
  expect_error([&] { f.write("z", std::vector<float>{1}, {}, bad); }, {"deflate level 11"});
}

TEST_F(H5Test, MissingForeignAndTruncatedFilesAreRefused) {
  expect_error([&] { File::open(path("missing.h5")); }, {"missing.h5", "missing or unreadable"});
  const std::string text = path("text.h5");
  write_file_atomic(text, "this is not an HDF5 file");
  EXPECT_FALSE(File::is_hdf5(text));
  expect_error([&] { File::open(text); }, {"text.h5", "not an HDF5 file"});

  const std::string good = path("good.h5");
  {
    File f = File::create(good);
    std::vector<double> v(20000, 1.0);
    f.write("v", v);
  }
  EXPECT_TRUE(File::is_hdf5(good));
  std::string bytes = read_file(good);
  const std::string cut = path("cut.h5");
  write_file_atomic(cut, std::string_view(bytes).substr(0, bytes.size() / 2));
  // Either open or the read fails; both must say which file.
  expect_error(
      [&] {
        File f = File::open(cut);
        f.dataset("v").read_f64();
      },
      {"cut.h5"});
  expect_error([&] { File::create(path("no/such/dir/x.h5")); }, {"x.h5", "cannot create"});
}

TEST_F(H5Test, HandlesCloseAndMoveCleanly) {
  const std::string p = path("h.h5");
  File f = File::create(p);
  Group g = f.create_group("g");
  Group g2 = std::move(g);
  g2.set_attr("k", 1);
  File f2 = std::move(f);
  f2.close();
  // The group keeps the file open until it is destroyed; writing through it still works.
  g2.set_attr("k2", 2);
  EXPECT_EQ(g2.attr_i64("k2"), 2);
}

}  // namespace
}  // namespace t2::io::h5
