// safetensors reader/writer: round trip, files written by Hugging Face (single and sharded), and
// every corrupt-header case the reader must reject with a message naming the file and tensor.
#include "io/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/file.h"

namespace fs = std::filesystem;
using t2::io::DType;
using t2::io::SafetensorsDir;
using t2::io::SafetensorsFile;
using t2::io::SafetensorsWriter;

namespace {

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("t2_st_test_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

// A raw file: 8-byte length, header text, data bytes.
void write_raw(const std::string& path, const std::string& header, size_t n_data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  out += header;
  out.append(n_data, '\x01');
  t2::io::write_file_atomic(path, out);
}

// Expects constructing a SafetensorsFile on path to throw with every needle in the message.
void expect_rejected(const std::string& path, std::initializer_list<const char*> needles) {
  try {
    SafetensorsFile f(path);
    FAIL() << "expected an error for " << path;
  } catch (const t2::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    for (const char* n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
  }
}

}  // namespace

TEST(Safetensors, WriterRoundTrip) {
  TempDir dir;
  std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -0.5f};
  std::vector<uint16_t> b = {0x3f80, 0xc000, 0x4040};  // bf16 1, -2, 3
  std::vector<uint16_t> c = {0x3c00};                  // f16 1
  SafetensorsWriter w;
  w.add_bytes("a.weight", DType::f32, {2, 3}, a.data(), a.size() * 4);
  w.add_bytes("b", DType::bf16, {3}, b.data(), b.size() * 2);
  w.add_bytes("c", DType::f16, {1, 1}, c.data(), 2);
  w.set_metadata("format", "pt");
  const std::string path = dir.file("x.safetensors");
  w.write(path);
  SafetensorsFile f(path);
  ASSERT_EQ(f.tensors().size(), 3u);
  const auto* ta = f.find("a.weight");
  ASSERT_NE(ta, nullptr);
  EXPECT_EQ(ta->dtype, DType::f32);
  EXPECT_EQ(ta->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(ta->data, a.data(), 24), 0);
  const auto* tb = f.find("b");
  ASSERT_NE(tb, nullptr);
  EXPECT_EQ(tb->dtype, DType::bf16);
  EXPECT_EQ(std::memcmp(tb->data, b.data(), 6), 0);
  EXPECT_EQ(f.find("c")->dtype, DType::f16);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.find("nope"), nullptr);
  // The data section starts 8-byte aligned, as the format recommends.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(ta->data) % 8, 0u);
}

TEST(Safetensors, WriterRejectsSizeMismatch) {
  std::vector<float> a(5);
  SafetensorsWriter w;
  EXPECT_THROW(w.add_bytes("a", DType::f32, {2, 3}, a.data(), 20), t2::Error);
}

TEST(Safetensors, ReadsHuggingFaceSingleFile) {
  SafetensorsDir d("tests/reference/fixtures/llama3_gqa_tied_f32");
  EXPECT_EQ(d.names().size(), 20u);  // tied: no lm_head.weight
  const auto& e = d.get("model.layers.1.self_attn.k_proj.weight");
  EXPECT_EQ(e.dtype, DType::f32);
  EXPECT_EQ(e.shape, (std::vector<int64_t>{32, 64}));  // 2 kv heads × 16, hidden 64
  EXPECT_THROW(d.get("lm_head.weight"), t2::Error);
}

TEST(Safetensors, ReadsHuggingFaceShardsWithIndex) {
  const std::string dir = "tests/reference/fixtures/llama2_mha_untied_f32_sharded";
  SafetensorsDir d(dir);
  EXPECT_GT(d.files().size(), 1u);
  const auto index = nlohmann::json::parse(t2::io::read_file(dir + "/model.safetensors.index.json"));
  EXPECT_EQ(d.names().size(), index["weight_map"].size());
  EXPECT_EQ(d.total_bytes(), index["metadata"]["total_size"].get<size_t>());
  for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
    EXPECT_EQ(fs::path(d.get(it.key()).file).filename(), it.value().get<std::string>());
  }
  SafetensorsDir bf("tests/reference/fixtures/llama3_gqa_untied_bf16_sharded");
  EXPECT_EQ(bf.get("lm_head.weight").dtype, DType::bf16);
}

TEST(Safetensors, RejectsTruncatedFile) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  write_raw(path, "", 0);  // 8 zero-length bytes only... then cut to 5
  fs::resize_file(path, 5);
  expect_rejected(path, {"truncated"});
  // A real file cut short: the last tensor's offsets now run past the end.
  std::vector<float> a(100, 1.0f);
  SafetensorsWriter w;
  w.add_bytes("first", DType::f32, {50}, a.data(), 200);
  w.add_bytes("second", DType::f32, {50}, a.data(), 200);
  w.write(path);
  fs::resize_file(path, fs::file_size(path) - 10);
  expect_rejected(path, {"second", "out of range"});
}

TEST(Safetensors, RejectsBadHeaderLength) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  std::string out(8, '\0');
  out[0] = 0x10; out[3] = 0x01;  // ~16 MB header in a 20-byte file
  out += "{}{}{}{}{}{}";
  t2::io::write_file_atomic(path, out);
  expect_rejected(path, {"header length"});
}

TEST(Safetensors, RejectsBadJson) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  write_raw(path, "{\"a\": {\"dtype\": ", 0);
  expect_rejected(path, {"not valid JSON"});
  write_raw(path, "[1, 2]", 0);
  expect_rejected(path, {"JSON object"});
  write_raw(path, R"({"a": {"dtype": "F32", "shape": [2]}})", 8);
  expect_rejected(path, {"'a'", "data_offsets"});
}

TEST(Safetensors, RejectsOffsetsOutOfRange) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  write_raw(path, R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})", 16);
  expect_rejected(path, {"'w'", "out of range"});
  write_raw(path, R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})", 16);
  expect_rejected(path, {"'w'", "out of range"});
}

TEST(Safetensors, RejectsOverlappingTensors) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  write_raw(path,
            R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})",
            24);
  expect_rejected(path, {"'a'", "'b'", "overlap"});
}

TEST(Safetensors, RejectsDtypeShapeMismatch) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  write_raw(path, R"({"w": {"dtype": "BF16", "shape": [3, 4], "data_offsets": [0, 48]}})", 48);
  expect_rejected(path, {"'w'", "needs 24 bytes", "span 48"});
  write_raw(path, R"({"w": {"dtype": "F32", "shape": [3, -4], "data_offsets": [0, 48]}})", 48);
  expect_rejected(path, {"'w'", "non-negative"});
}

TEST(Safetensors, RejectsUnsupportedDtype) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  write_raw(path, R"({"ids": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}})", 16);
  expect_rejected(path, {"'ids'", "unsupported dtype I64"});
}

TEST(Safetensors, RejectsIndexNamingMissingTensorOrFile) {
  TempDir dir;
  std::vector<float> a(4, 1.0f);
  SafetensorsWriter w;
  w.add_bytes("x", DType::f32, {4}, a.data(), 16);
  w.write(dir.file("part-1.safetensors"));
  t2::io::write_file_atomic(dir.file("model.safetensors.index.json"),
                            R"({"weight_map": {"x": "part-1.safetensors", "y": "part-1.safetensors"}})");
  try {
    SafetensorsDir d(dir.str());
    FAIL() << "expected an error";
  } catch (const t2::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'y'"), std::string::npos) << e.what();
  }
  t2::io::write_file_atomic(dir.file("model.safetensors.index.json"),
                            R"({"weight_map": {"x": "part-1.safetensors", "y": "part-2.safetensors"}})");
  try {
    SafetensorsDir d(dir.str());
    FAIL() << "expected an error";
  } catch (const t2::Error& e) {
    EXPECT_NE(std::string(e.what()).find("part-2.safetensors"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SafetensorsDir(dir.file("does-not-exist")), t2::Error);
}
