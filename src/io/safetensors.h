// safetensors checkpoints: a memory-mapped reader for one file, a reader for a Hugging Face model
// directory (one model.safetensors or shards listed in model.safetensors.index.json), and a
// streaming writer. Only the BF16, F16 and F32 dtypes are accepted; any other dtype is an error
// naming the file and tensor. What the tensors mean (names, shapes vs config) is model/'s business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/mapped_file.h"
#include "tensor/dtype.h"  // t2::tensor::DType

namespace t2::io {

using tensor::DType;

// One tensor inside a mapped file. data points into the mapping (no copy) and stays valid as long
// as the SafetensorsFile (or the SafetensorsDir holding it) lives. Alignment of data is whatever
// the file gives (at least 2 bytes for 16-bit dtypes when the writer followed the format).
struct TensorEntry {
  std::string name;
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t n_bytes = 0;
  std::string file;  // path of the file holding it, for error messages

  int64_t n_elements() const;
  std::string shape_str() const;  // "[2048, 8192]"
};

// A single .safetensors file, memory-mapped read-only. Construction validates the whole header:
// 8-byte length within the file, JSON object, known dtypes, shapes, data_offsets in range and
// matching dtype × shape, tensors not overlapping. Errors are t2::Error naming the file and tensor.
// Immutable after construction; safe to read from several threads. Not copyable (owns the map).
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<TensorEntry>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // nullptr when absent.
  const TensorEntry* find(const std::string& name) const;

 private:
  std::string path_;
  MappedFile map_;
  std::vector<TensorEntry> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a Hugging Face model directory: model.safetensors.index.json (shards) when it
// exists, else model.safetensors, else the only *.safetensors file. For shards, every tensor the
// index names must be in the shard it names; a name in two files is an error.
class SafetensorsDir {
 public:
  explicit SafetensorsDir(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const TensorEntry* find(const std::string& name) const;
  // Throws t2::Error naming the directory and the tensor when absent.
  const TensorEntry& get(const std::string& name) const;
  std::vector<std::string> names() const;  // sorted
  size_t total_bytes() const;              // sum of tensor data sizes
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorEntry*> by_name_;
};

// Streaming writer: declare tensors (name, dtype, shape, and a function that fills the tensor's
// bytes), then write() lays out the header and streams each tensor's bytes through a temporary file
// that is renamed over the target at the end (readers never see half a file). Memory use is one
// tensor at a time, so multi-GB checkpoints are fine.
class SafetensorsWriter {
 public:
  // fill(dst, n_bytes) writes exactly n_bytes of the tensor's data in its dtype.
  using Fill = std::function<void(void* dst, size_t n_bytes)>;

  void add(const std::string& name, DType dtype, std::vector<int64_t> shape, Fill fill);
  // Convenience: copies n_bytes from data (must match dtype × shape).
  void add_bytes(const std::string& name, DType dtype, std::vector<int64_t> shape,
                 const void* data, size_t n_bytes);
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }
  void write(const std::string& path) const;

 private:
  struct Pending {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    size_t n_bytes;
    Fill fill;
  };
  std::vector<Pending> pending_;
  std::map<std::string, std::string> metadata_;
};

// "BF16" / "F16" / "F32" as written in safetensors headers.
const char* safetensors_dtype_name(DType dtype);

}  // namespace t2::io
