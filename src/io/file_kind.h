// What a path names, in words, for error messages and refusals: nothing, a directory, a device,
// a t2 file of some kind (report, SVD store, expert, mixture, training checkpoint: read from the
// HDF5 root attribute `schema` or `format`), another HDF5 file, or some other regular file. Inputs
// that must be regular files are checked with require_regular_file before anything is read, so a
// directory or /dev/zero is named as such instead of being read as empty or forever.
#pragma once

#include <string>

namespace t2::io {

// "no such file", "a directory", "a character device", "a block device", "a FIFO", "a socket",
// "a t2 report", "an SVD store", "an SVF expert", "an SVF mixture", "a t2 training checkpoint",
// "an HDF5 file not written by t2", or "a regular file". Follows symbolic links. Cheap: one
// stat, and for an HDF5 file one open of its root.
std::string describe_path(const std::string& path);

// The t2 format tag of an HDF5 file ("t2-report", "t2-svd-store", "t2-svf-expert",
// "t2-svf-mixture", "t2-train-checkpoint", ...), or "" when the file is not HDF5, cannot be read
// or carries no tag.
std::string t2_format(const std::string& path);

// "" when path names a regular file (through links), else "no such file" or "expected a file,
// found a directory" (or whatever it is), for messages.
std::string file_problem(const std::string& path);

// Throws t2::Error "WHAT 'PATH': " + file_problem(path) unless path names a regular file.
// what: e.g. "--data", "--config job file".
void require_regular_file(const std::string& path, const std::string& what);

}  // namespace t2::io
