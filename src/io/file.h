// Whole-file helpers: read a file into memory, and publish a file atomically (write a temporary
// beside it, fsync, rename) so that readers never see a half-written checkpoint or report.
#pragma once

#include <string>
#include <string_view>

namespace t2::io {

// Reads the whole file; throws t2::Error naming the path when it cannot be read.
std::string read_file(const std::string& path);

// Writes data to path + ".tmp.<pid>", flushes it to disk and renames it over path.
// Throws t2::Error naming the path on failure; the old file is untouched then.
void write_file_atomic(const std::string& path, std::string_view data);

// True when path names an existing regular file.
bool file_exists(const std::string& path);

}  // namespace t2::io
