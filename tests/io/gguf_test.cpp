// GgufFile on well-formed files (metadata of every value type, typed access, tensor table) and on
// every kind of malformed file: each must fail with a message naming the file, the offset or field
// and what was expected. Also the block dequantization of every supported type against
// gguf.quants.dequantize (tests/reference/gguf/quant_blocks.gguf, made by
// tests/reference/make_gguf_fixtures.py).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "io/file.h"
#include "io/gguf.h"
#include "io/gguf_quant.h"

using namespace t2;
using io::GgufFile;
using io::GgufValueType;

namespace {

// Writes GGUF bytes field by field, so a test can build exactly the (broken) file it needs.
struct Bytes {
  std::string b;
  template <typename T>
  Bytes& put(T v) {
    b.append(reinterpret_cast<const char*>(&v), sizeof v);
    return *this;
  }
  Bytes& str(const std::string& s) {
    put<uint64_t>(s.size());
    b += s;
    return *this;
  }
  Bytes& kv_u32(const std::string& key, uint32_t v) {
    return str(key).put<uint32_t>(4).put<uint32_t>(v);
  }
  Bytes& kv_str(const std::string& key, const std::string& v) {
    return str(key).put<uint32_t>(8).str(v);
  }
  // Tensor info: name, dims (ggml order), type, offset.
  Bytes& tensor(const std::string& name, std::vector<uint64_t> dims, uint32_t type,
                uint64_t offset) {
    str(name).put<uint32_t>(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) put<uint64_t>(d);
    return put<uint32_t>(type).put<uint64_t>(offset);
  }
  Bytes& pad(size_t align) {
    while (b.size() % align) b += '\0';
    return *this;
  }
  Bytes& zeros(size_t n) {
    b.append(n, '\0');
    return *this;
  }
};

Bytes header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
  Bytes h;
  h.b = "GGUF";
  return h.put<uint32_t>(version).put<uint64_t>(n_tensors).put<uint64_t>(n_kv);
}

class GgufTest : public ::testing::Test {
 protected:
  std::string path_ = (std::filesystem::temp_directory_path() /
                       ("t2_gguf_test_" + std::to_string(::getpid()) + ".gguf")).string();
  void TearDown() override { std::filesystem::remove(path_); }

  std::string write(const Bytes& bytes) {
    io::write_file_atomic(path_, bytes.b);
    return path_;
  }
  // The error message of opening the file (fails the test when it opens).
  std::string error_of(const Bytes& bytes) {
    write(bytes);
    try {
      GgufFile f(path_);
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path_), std::string::npos) << "message does not name the file: " << msg;
      return msg;
    }
    ADD_FAILURE() << "the file opened without error";
    return {};
  }
};

// A valid file: metadata of several types, two tensors (F32 [4], Q8_0 [32, 2]).
Bytes valid_file() {
  Bytes f = header(2, 6);
  f.kv_str("general.architecture", "llama");
  f.kv_u32("llama.block_count", 7);
  f.str("general.ratio").put<uint32_t>(6).put<float>(0.5f);
  f.str("flag").put<uint32_t>(7).put<uint8_t>(1);
  f.str("names").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(3).str("a").str("").str("ccc");
  f.str("ids").put<uint32_t>(9).put<uint32_t>(5).put<uint64_t>(2).put<int32_t>(-1).put<int32_t>(9);
  f.tensor("norm", {4}, 0, 0);
  f.tensor("w", {32, 2}, 8, 32);
  f.pad(32);
  for (int i = 0; i < 4; ++i) f.put<float>(static_cast<float>(i));
  f.zeros(16);
  f.zeros(2 * 34);
  return f;
}

}  // namespace

TEST_F(GgufTest, ReadsMetadataAndTensors) {
  GgufFile f(write(valid_file()));
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.require_string("general.architecture"), "llama");
  EXPECT_EQ(f.require_int("llama.block_count"), 7);
  EXPECT_FLOAT_EQ(static_cast<float>(f.require_float("general.ratio")), 0.5f);
  EXPECT_EQ(f.find_bool("flag"), true);
  EXPECT_FALSE(f.find_int("absent").has_value());
  const auto names = f.find_string_array("names");
  ASSERT_TRUE(names.has_value());
  EXPECT_EQ(*names, (std::vector<std::string_view>{"a", "", "ccc"}));
  EXPECT_EQ(*f.find_int_array("ids"), (std::vector<int64_t>{-1, 9}));
  ASSERT_EQ(f.tensors().size(), 2u);
  const auto& norm = f.get("norm");
  EXPECT_EQ(norm.type, io::GgmlType::f32);
  EXPECT_EQ(static_cast<const float*>(norm.data)[3], 3.0f);
  const auto& w = f.get("w");
  EXPECT_EQ(w.n_bytes, 68u);
  EXPECT_EQ(w.shape_str(), "[32, 2]");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w.data) % 32, reinterpret_cast<uintptr_t>(norm.data) % 32);
  EXPECT_THROW(f.get("missing"), Error);
  EXPECT_TRUE(io::is_gguf_file(path_));
  EXPECT_FALSE(io::is_gguf_file("tests"));
}

TEST_F(GgufTest, TypedAccessNamesKeyAndTypes) {
  GgufFile f(write(valid_file()));
  auto msg = [](auto fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg([&] { f.find_int("general.architecture"); })
                .find("'general.architecture' has type string, expected an integer"),
            std::string::npos);
  EXPECT_NE(msg([&] { f.find_string_array("ids"); })
                .find("has type array of int32, expected array of string"),
            std::string::npos);
  EXPECT_NE(msg([&] { f.require_string("general.name"); }).find("required metadata 'general.name'"),
            std::string::npos);
}

TEST_F(GgufTest, TruncatedAnywhere) {
  const Bytes full = valid_file();
  // Every cut inside the header region and the data must be refused (never a stray read).
  for (size_t cut : {0ul, 3ul, 20ul, 30ul, 60ul, 100ul, 200ul, full.b.size() - 40,
                     full.b.size() - 1}) {
    Bytes part;
    part.b = full.b.substr(0, cut);
    const std::string msg = error_of(part);
    EXPECT_TRUE(msg.find("truncated") != std::string::npos ||
                msg.find("past the end") != std::string::npos ||
                msg.find("cannot fit") != std::string::npos)
        << "cut at " << cut << ": " << msg;
  }
}

TEST_F(GgufTest, BadMagicAndVersion) {
  Bytes f = valid_file();
  f.b[0] = 'X';
  EXPECT_NE(error_of(f).find("not a GGUF file"), std::string::npos);
  EXPECT_NE(error_of(header(0, 0, 1)).find("version 1"), std::string::npos);
  EXPECT_NE(error_of(header(0, 0, 0x03000000)).find("big-endian"), std::string::npos);
  EXPECT_NE(error_of(header(0, 0, 7)).find("expected 2 or 3"), std::string::npos);
}

TEST_F(GgufTest, AbsurdCountsAndLengths) {
  EXPECT_NE(error_of(header(0, 1ull << 40)).find("metadata count"), std::string::npos);
  EXPECT_NE(error_of(header(1ull << 40, 0)).find("tensor count"), std::string::npos);
  Bytes key = header(0, 1);
  key.put<uint64_t>(1ull << 60).zeros(16);
  EXPECT_NE(error_of(key).find("metadata key at offset 24 has length"), std::string::npos);
  Bytes arr = header(0, 1);
  arr.str("tokens").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(1ull << 50).zeros(8);
  EXPECT_NE(error_of(arr).find("array length 1125899906842624 at offset"), std::string::npos);
  Bytes name = header(1, 0);
  name.str(std::string(65, 'n')).put<uint32_t>(1).put<uint64_t>(4).put<uint32_t>(0).put<uint64_t>(0);
  EXPECT_NE(error_of(name).find("tensor name at offset 24 has length 65, expected at most 64"),
            std::string::npos);
  Bytes dims = header(1, 0);
  dims.tensor("t", {1ull << 40, 1ull << 40}, 0, 0);
  EXPECT_NE(error_of(dims).find("impossibly large"), std::string::npos);
  Bytes ndims = header(1, 0);
  ndims.tensor("t", {1, 1, 1, 1, 1}, 0, 0);
  EXPECT_NE(error_of(ndims).find("dimension count 5"), std::string::npos);
}

TEST_F(GgufTest, UnknownTypes) {
  Bytes v = header(0, 1);
  v.str("k").put<uint32_t>(13).put<uint32_t>(0);
  EXPECT_NE(error_of(v).find("unknown value type 13 at offset 33"), std::string::npos);
  Bytes e = header(0, 1);
  e.str("k").put<uint32_t>(9).put<uint32_t>(99).put<uint64_t>(0);
  EXPECT_NE(error_of(e).find("unknown array element type 99"), std::string::npos);
  Bytes deep = header(0, 1);
  deep.str("k").put<uint32_t>(9);  // an array of arrays of arrays ...
  for (int i = 0; i < 9; ++i) deep.put<uint32_t>(9).put<uint64_t>(1);
  EXPECT_NE(error_of(deep).find("nests arrays deeper than 8"), std::string::npos);
  Bytes t = header(1, 0);
  t.tensor("t", {32}, 4, 0).pad(32).zeros(64);  // id 4 was removed from ggml
  EXPECT_NE(error_of(t).find("unknown tensor type 4"), std::string::npos);
}

TEST_F(GgufTest, TensorDataChecks) {
  Bytes oob = header(1, 0);
  oob.tensor("t", {8}, 0, 0).pad(32).zeros(16);  // needs 32 bytes
  EXPECT_NE(error_of(oob).find("tensor 't' (F32 [8], 32 bytes at data offset 0) runs past the end"),
            std::string::npos);
  Bytes mis = header(1, 0);
  mis.tensor("t", {4}, 0, 16).pad(32).zeros(64);
  EXPECT_NE(error_of(mis).find("data offset 16 (field at offset"), std::string::npos);
  Bytes block = header(1, 0);
  block.tensor("t", {33}, 8, 0).pad(32).zeros(128);
  EXPECT_NE(error_of(block).find("blocks of 32 elements, but its first dimension is 33"),
            std::string::npos);
  Bytes dup = header(2, 0);
  dup.tensor("t", {8}, 0, 0).tensor("t", {8}, 0, 32).pad(32).zeros(64);
  EXPECT_NE(error_of(dup).find("tensor name 't' appears twice"), std::string::npos);
  Bytes overlap = header(2, 0);
  overlap.tensor("a", {16}, 0, 0).tensor("b", {8}, 0, 32).pad(32).zeros(64);
  EXPECT_NE(error_of(overlap).find("tensors 'a' and 'b' overlap"), std::string::npos);
  Bytes dupkey = header(0, 2);
  dupkey.kv_u32("k", 1).kv_u32("k", 2);
  EXPECT_NE(error_of(dupkey).find("metadata key 'k' appears twice"), std::string::npos);
  Bytes align = header(0, 1);
  align.kv_u32("general.alignment", 24);
  EXPECT_NE(error_of(align).find("general.alignment is 24, expected a power of two"),
            std::string::npos);
  Bytes align_type = header(0, 1);
  align_type.str("general.alignment").put<uint32_t>(10).put<uint64_t>(64);
  EXPECT_NE(error_of(align_type).find("has type uint64, expected uint32"), std::string::npos);
}

TEST_F(GgufTest, CustomAlignmentIsHonoured) {
  Bytes f = header(1, 1);
  f.kv_u32("general.alignment", 64);
  f.tensor("t", {4}, 0, 0).pad(64);
  const size_t data_at = f.b.size();
  for (int i = 0; i < 4; ++i) f.put<float>(1.5f);
  GgufFile g(write(f));
  EXPECT_EQ(g.alignment(), 64u);
  EXPECT_EQ(data_at, 128u);  // 96 with the default alignment of 32, where only padding is
  EXPECT_EQ(static_cast<const float*>(g.get("t").data)[2], 1.5f);
}

TEST(GgufQuant, EveryTypeMatchesTheGgufPackage) {
  GgufFile f("tests/reference/gguf/quant_blocks.gguf");
  int checked = 0;
  for (const auto& t : f.tensors()) {
    if (t.name.find(".expected") != std::string::npos) continue;
    const io::GgufTensor& want = f.get(t.name + ".expected");
    ASSERT_EQ(want.n_elements(), t.n_elements()) << t.name;
    std::vector<float> got(static_cast<size_t>(t.n_elements()));
    io::dequantize_row(t.type, t.data, got.data(), t.n_elements());
    const auto* w = static_cast<const float*>(want.data);
    double max_err = 0, max_abs = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      max_err = std::max(max_err, std::fabs(double(got[i]) - w[i]));
      max_abs = std::max(max_abs, std::fabs(double(w[i])));
    }
    EXPECT_LE(max_err, 1e-6 * max_abs) << t.type_name() << " max |Δ| " << max_err;
    ++checked;
  }
  EXPECT_EQ(checked, 10);  // Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 BF16 Q4_K Q5_K Q6_K F16
}

TEST(GgufQuant, TypeTable) {
  EXPECT_EQ(io::ggml_type_info(12)->type_size, 144);  // Q4_K
  EXPECT_EQ(io::ggml_type_info(14)->block_size, 256);
  EXPECT_FALSE(io::ggml_type_info(4).has_value());
  std::vector<float> out(256);
  std::vector<uint8_t> blk(84);
  try {
    io::dequantize_row(io::GgmlType::q2_k, blk.data(), out.data(), 256);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Q2_K cannot be converted"), std::string::npos);
  }
}
