// Implementation of the path descriptions (see file_kind.h).
#include "io/file_kind.h"

#include <sys/stat.h>

#include "base/error.h"
#include "io/h5.h"

namespace t2::io {

std::string t2_format(const std::string& path) {
  try {
    if (!h5::File::is_hdf5(path)) return "";
    const h5::File f = h5::File::open(path);
    for (const char* attr : {"schema", "format"})
      if (f.has_attr(attr)) return f.attr_string(attr);
  } catch (const Error&) {
  }
  return "";
}

std::string describe_path(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "no such file";
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISCHR(st.st_mode)) return "a character device";
  if (S_ISBLK(st.st_mode)) return "a block device";
  if (S_ISFIFO(st.st_mode)) return "a FIFO";
  if (S_ISSOCK(st.st_mode)) return "a socket";
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (!h5::File::is_hdf5(path)) return "a regular file";
  const std::string tag = t2_format(path);
  if (tag == "t2-report") return "a t2 report";
  if (tag == "t2-svd-store") return "an SVD store";
  if (tag == "t2-svf-expert") return "an SVF expert";
  if (tag == "t2-svf-mixture") return "an SVF mixture";
  if (tag == "t2-train-checkpoint") return "a t2 training checkpoint";
  if (!tag.empty()) return "a t2 file of format '" + tag + "'";
  return "an HDF5 file not written by t2";
}

std::string file_problem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "no such file";
  if (S_ISREG(st.st_mode)) return "";
  return "expected a file, found " + describe_path(path);
}

void require_regular_file(const std::string& path, const std::string& what) {
  const std::string problem = file_problem(path);
  T2_CHECK(problem.empty(), "%s '%s': %s", what.c_str(), path.c_str(), problem.c_str());
}

}  // namespace t2::io
