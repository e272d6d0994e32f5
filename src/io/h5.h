// The project's one thin RAII layer over the HDF5 C API: files, groups, datasets and attributes
// with move-only handles that close themselves. It covers what SVD stores, experts, mixtures and
// reports need — 1-D/2-D f32/f64/i32/i64 datasets (optionally chunked, deflated, extendible along
// the first dimension), variable-length UTF-8 strings, scalar and 1-D attributes — and nothing more;
// compound tables are written by callers through raw ids (Object::id()) if they need them.
//
// Every HDF5 call is checked; a failure throws t2::Error naming the file, the object and HDF5's
// own innermost message. HDF5's automatic error printing is switched off once per process.
// Thread-safety: none. The Debian HDF5 build is not thread-safe; use a file from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace t2::io::h5 {

// Raw HDF5 identifier (hid_t is int64_t since HDF5 1.10; checked in h5.cpp).
using Hid = int64_t;

// Element types this layer reads and writes.
enum class DType { f32, f64, i32, i64, string, other };
const char* dtype_name(DType t);

// Options for creating a dataset. Chunking is chosen automatically when deflate or extendible
// is asked for and chunk is empty (chunks of about 1 MiB along the first dimension).
struct DatasetOptions {
  std::vector<int64_t> chunk;  // chunk shape; empty = contiguous unless deflate/extendible
  int deflate = 0;             // 0 (off) .. 9
  bool extendible = false;     // first dimension unlimited, grown by Dataset::append
};

// Owns one HDF5 identifier and closes it on destruction. Move-only.
class Handle {
 public:
  Handle() = default;
  Handle(Hid id, std::string where);
  ~Handle();
  Handle(Handle&& other) noexcept;
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  Hid id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // "FILE:/path/to/object", used in every error message about this object.
  const std::string& where() const { return where_; }
  void close();

 private:
  Hid id_ = -1;
  std::string where_;
};

// Something that carries attributes: a group (a file's root included) or a dataset.
class Object {
 public:
  Hid id() const { return h_.id(); }
  const std::string& where() const { return h_.where(); }
  const std::string& name() const { return name_; }  // absolute path inside the file

  bool has_attr(const std::string& attr) const;
  std::vector<std::string> attr_names() const;
  // Writing replaces an attribute of the same name.
  void set_attr(const std::string& attr, const std::string& value);
  void set_attr(const std::string& attr, const char* value) { set_attr(attr, std::string(value)); }
  void set_attr(const std::string& attr, double value);
  void set_attr(const std::string& attr, int64_t value);
  void set_attr(const std::string& attr, int value) { set_attr(attr, static_cast<int64_t>(value)); }
  void set_attr(const std::string& attr, std::span<const double> values);
  void set_attr(const std::string& attr, std::span<const int64_t> values);
  // Reading throws when the attribute is missing or has the wrong kind (string vs number vs array).
  std::string attr_string(const std::string& attr) const;
  double attr_f64(const std::string& attr) const;
  int64_t attr_i64(const std::string& attr) const;
  std::vector<double> attr_f64_vec(const std::string& attr) const;
  std::vector<int64_t> attr_i64_vec(const std::string& attr) const;

 protected:
  Object() = default;
  Object(Handle h, std::string file, std::string name)
      : h_(std::move(h)), file_(std::move(file)), name_(std::move(name)) {}
  Handle h_;
  std::string file_;
  std::string name_;
};

// A dataset of rank 1 or 2 (rank 0/higher ranks are opened but only shape() is meaningful).
class Dataset : public Object {
 public:
  std::vector<int64_t> shape() const;
  int64_t n_elements() const;
  DType dtype() const;

  // Whole-dataset reads. Floating datasets read into float/double (HDF5 converts between them);
  // integer datasets into int32/int64. Reading a float dataset as integers (or strings as numbers)
  // throws, naming the dataset and both types.
  std::vector<float> read_f32() const;
  std::vector<double> read_f64() const;
  std::vector<int32_t> read_i32() const;
  std::vector<int64_t> read_i64() const;
  std::vector<std::string> read_strings() const;
  // Into a caller buffer whose size must equal n_elements().
  void read(std::span<float> out) const;
  void read(std::span<double> out) const;
  // Rows [row0, row0 + n_rows) of the first dimension into out (size n_rows × row length).
  void read_rows(int64_t row0, int64_t n_rows, std::span<float> out) const;

  // Overwrite rows starting at row0 (the dataset must already be large enough).
  void write_rows(int64_t row0, std::span<const double> data);
  void write_rows(int64_t row0, std::span<const int64_t> data);
  // Grow an extendible dataset along its first dimension and write data at the end. data.size()
  // must be a whole number of rows.
  void append(std::span<const float> data);
  void append(std::span<const double> data);
  void append(std::span<const int32_t> data);
  void append(std::span<const int64_t> data);
  void append(const std::vector<std::string>& data);

 private:
  friend class Group;
  Dataset(Handle h, std::string file, std::string name)
      : Object(std::move(h), std::move(file), std::move(name)) {}
  template <class T> std::vector<T> read_numeric() const;
  template <class T> void read_into(std::span<T> out) const;
  template <class T> void write_rows_impl(int64_t row0, std::span<const T> data);
  template <class T> void append_impl(std::span<const T> data);
};

// A group; File is a group too (its root).
class Group : public Object {
 public:
  // True when a link of that name (a relative path such as "a/b" is allowed) exists.
  bool has(const std::string& path) const;
  bool has_group(const std::string& path) const;
  bool has_dataset(const std::string& path) const;
  // Names of the direct children, in the file's name order.
  std::vector<std::string> children() const;

  Group group(const std::string& path) const;          // open existing; throws when absent
  Group create_group(const std::string& path);         // intermediate groups are created
  Group require_group(const std::string& path);        // open or create
  Dataset dataset(const std::string& path) const;      // open existing; throws when absent
  void remove(const std::string& path);                // unlink (space is not reclaimed)

  // Create a dataset and write data (a vector or span of float, double, int32_t or int64_t).
  // shape empty = 1-D of data.size(); otherwise the product of shape must equal data.size().
  // Throws when the name already exists.
  template <class Values>
  Dataset write(const std::string& path, const Values& data, const std::vector<int64_t>& shape = {},
                const DatasetOptions& opt = {}) {
    return write_impl(path, std::span(data), shape, opt);
  }
  // 1-D dataset of variable-length UTF-8 strings.
  Dataset write_strings(const std::string& path, const std::vector<std::string>& data,
                        const DatasetOptions& opt = {});
  // An empty dataset of the given type and shape (filled with zeros), for write_rows/append.
  Dataset create_dataset(const std::string& path, DType type, const std::vector<int64_t>& shape,
                         const DatasetOptions& opt = {});

 protected:
  friend class File;
  Group() = default;
  Group(Handle h, std::string file, std::string name)
      : Object(std::move(h), std::move(file), std::move(name)) {}
  template <class T> Dataset write_impl(const std::string& path, std::span<const T> data,
                                        const std::vector<int64_t>& shape,
                                        const DatasetOptions& opt);
  std::string child_name(const std::string& path) const;
};

enum class Mode { read_only, read_write };

// An open HDF5 file; as a Group it is the root "/". Objects opened from it keep the file open
// until they are destroyed too.
class File : public Group {
 public:
  // Creates (truncating an existing file). Throws naming the path on failure.
  static File create(const std::string& path);
  // Opens an existing file. A missing, non-HDF5 or truncated file throws with a clear message.
  static File open(const std::string& path, Mode mode = Mode::read_only);
  // True when path exists and carries an HDF5 signature.
  static bool is_hdf5(const std::string& path);

  File() = default;
  const std::string& path() const { return file_; }
  bool writable() const { return writable_; }
  void flush();
  void close() { h_.close(); }

 private:
  File(Handle h, std::string path, bool writable)
      : Group(std::move(h), std::move(path), "/"), writable_(writable) {}
  bool writable_ = false;
};

// Publishes a new HDF5 file at `path` atomically: fill() writes into a temporary file beside it
// (PATH.tmp.PID), which is flushed, closed and renamed over `path`. On any failure the temporary
// file is removed, `path` keeps its old content, and the error names `what` and the path.
void create_atomic(const std::string& path, const std::function<void(File&)>& fill,
                   const char* what);

}  // namespace t2::io::h5
