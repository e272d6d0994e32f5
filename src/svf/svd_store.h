// The SVD store: one HDF5 file holding the thin SVD of every adapted matrix of one base checkpoint.
// Layout (docs/svf.md): root attributes format = "t2-svd-store", format_version, base_fingerprint,
// base_model, max_reconstruction_error; one group per canonical HF tensor name with datasets
// U [out, r], S [r], V [in, r] (f32) and attributes shape [out, in], dtype (of the base weight),
// precision (of the LAPACK run), max_abs_error, complete (written last, so a crash mid-write leaves
// a group that resume drops and redoes).
//
// SvdStore owns the open file. Not thread-safe (HDF5). Reads copy factors into memory.
#pragma once

#include <string>
#include <vector>

#include "io/h5.h"
#include "svf/svd.h"

namespace t2::svf {

struct MatrixInfo {
  std::string name;
  int64_t n_out = 0, n_in = 0, r = 0;
  std::string dtype;      // dtype of the base weight ("BF16", "F32", ...)
  std::string precision;  // "f32" | "f64"
  double max_abs_error = 0;
};

class SvdStore {
 public:
  // Creates a new, empty store (truncating an existing file).
  static SvdStore create(const std::string& path, const std::string& base_fingerprint,
                         const std::string& base_model);
  // Opens an existing store; refuses files that are not SVD stores, naming the path.
  static SvdStore open(const std::string& path, io::h5::Mode mode = io::h5::Mode::read_only);

  const std::string& path() const { return file_.path(); }
  const std::string& base_fingerprint() const { return fingerprint_; }
  std::string base_model() const;

  // Complete matrices, in name order.
  std::vector<std::string> names() const;
  bool has(const std::string& name) const;
  MatrixInfo info(const std::string& name) const;
  // Reads and validates one matrix's factors. Throws naming the store and the matrix.
  Svd read(const std::string& name) const;
  // Singular values only [r] (cheap).
  std::vector<float> read_singular_values(const std::string& name) const;

  // Writes (replacing an incomplete group of that name) and marks the matrix complete. Needs a
  // store opened read-write. Updates the file-level max_reconstruction_error.
  void write(const std::string& name, const Svd& svd, const std::string& dtype,
             SvdPrecision precision, double max_abs_error);
  // Removes groups that were never marked complete; returns their names.
  std::vector<std::string> drop_incomplete();
  double max_reconstruction_error() const;
  void flush() { file_.flush(); }

  // Throws, naming this store, unless fingerprint equals base_fingerprint().
  void check_fingerprint(const std::string& fingerprint, const std::string& what) const;

 private:
  explicit SvdStore(io::h5::File f);
  io::h5::File file_;
  std::string fingerprint_;
};

}  // namespace t2::svf
