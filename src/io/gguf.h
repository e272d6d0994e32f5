// GGUF checkpoints (the llama.cpp file format): a memory-mapped reader that validates the whole
// header, the metadata and the tensor table before anything is used, with typed metadata access.
// What the tensors mean (names, the Q/K row order, the tokenizer in the metadata) is the business
// of model/llama/gguf_checkpoint.* and tokenizer/; the block formats are io/gguf_quant.h.
//
// Layout (version 2 and 3, little-endian): "GGUF", u32 version, u64 n_tensors, u64 n_kv, then n_kv
// × (string key, u32 value type, value), then n_tensors × (string name, u32 n_dims, u64 ne[n_dims],
// u32 ggml type, u64 offset), padding to `general.alignment` (default 32), and the data section;
// tensor offsets are relative to its start. A string is u64 length + bytes; an array is u32 element
// type + u64 count + elements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/gguf_quant.h"

namespace t2::io {

class MappedFile;  // io/mapped_file.h

enum class GgufValueType : uint32_t {
  uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool_ = 7,
  string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12,
};
const char* gguf_value_type_name(GgufValueType type);  // "uint32", "array", ...

// One metadata entry, as a view into the mapping. For arrays, elem_type and count describe the
// elements and data points at the first one.
struct GgufKv {
  std::string key;
  GgufValueType type = GgufValueType::uint8;
  GgufValueType elem_type = GgufValueType::uint8;  // arrays only
  uint64_t count = 1;                              // arrays: number of elements
  const uint8_t* data = nullptr;                   // the value (arrays: the first element)
  uint64_t offset = 0;                             // file offset of the key, for messages
};

// One tensor. shape is in ggml order: shape[0] is the innermost (contiguous) dimension, so a
// PyTorch [out, in] matrix appears as {in, out}. data points into the mapping and is aligned to
// the file's alignment.
struct GgufTensor {
  std::string name;
  GgmlType type = GgmlType::f32;
  std::vector<int64_t> shape;
  uint64_t offset = 0;  // within the data section
  const void* data = nullptr;
  size_t n_bytes = 0;

  int64_t n_elements() const;
  std::string shape_str() const;  // "[576, 49152]" in ggml order
  const char* type_name() const { return ggml_type_info(type).name; }
};

// A GGUF file, memory-mapped read-only. The constructor validates everything a reader relies on
// and throws t2::Error naming the file, the byte offset, the field and what was expected: magic
// and version, counts and string lengths that cannot fit in the file, unknown value and tensor
// types, nested arrays deeper than 8, duplicate keys and tensor names, shapes that overflow or are
// not whole blocks, tensor offsets that are misaligned, out of bounds or overlapping.
// Immutable after construction; safe to read from several threads. Not copyable (owns the map).
class GgufFile {
 public:
  explicit GgufFile(const std::string& path);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  size_t file_size() const { return map_size_; }
  const std::vector<GgufKv>& metadata() const { return kvs_; }
  const std::vector<GgufTensor>& tensors() const { return tensors_; }

  const GgufKv* find_kv(std::string_view key) const;  // nullptr when absent
  const GgufTensor* find(std::string_view name) const;  // nullptr when absent
  // Throws t2::Error naming the file and the tensor when absent.
  const GgufTensor& get(std::string_view name) const;

  // Typed metadata access. find_* return nothing when the key is absent and throw t2::Error
  // naming the file, key and both types when it holds another type; require_* also throw when
  // absent. Integers accept any integer type whose value fits int64; floats accept float32/64.
  std::optional<int64_t> find_int(std::string_view key) const;
  std::optional<double> find_float(std::string_view key) const;
  std::optional<bool> find_bool(std::string_view key) const;
  std::optional<std::string> find_string(std::string_view key) const;
  int64_t require_int(std::string_view key) const;
  double require_float(std::string_view key) const;
  std::string require_string(std::string_view key) const;
  // Arrays: views into the mapping (string arrays) or converted copies (integers, floats).
  std::optional<std::vector<std::string_view>> find_string_array(std::string_view key) const;
  std::optional<std::vector<int64_t>> find_int_array(std::string_view key) const;

 private:
  std::string path_;
  std::unique_ptr<MappedFile> map_;
  size_t map_size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::vector<GgufKv> kvs_;
  std::map<std::string, size_t, std::less<>> kv_index_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

// True when the file at path starts with the GGUF magic (false for directories, missing files).
bool is_gguf_file(const std::string& path);

}  // namespace t2::io
