// Line-by-line reading of a text input (a file, a FIFO, or standard input as "-") with a bound on
// the length of one line. A stream without newlines (/dev/zero, a binary file by mistake) then
// fails at once with the line number instead of growing until memory runs out. The bound is a
// documented default that commands let the user raise (--max-line-bytes).
//
// Not thread-safe; one reader per input. Cost: one read(2) per 64 KiB, one copy per line.
#pragma once

#include <cstddef>
#include <string>

namespace t2::io {

// The default bound on one line: far above any record of the supported datasets (the largest
// HumanEval or MATH record is a few KiB) and far below the memory of a machine.
inline constexpr size_t kDefaultMaxLineBytes = size_t{64} << 20;

class LineReader {
 public:
  // Opens path ("-" = standard input, which is not closed). Throws t2::Error naming the path when
  // it cannot be opened or names a directory.
  explicit LineReader(const std::string& path, size_t max_line_bytes = kDefaultMaxLineBytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line without its end ("\n" or "\r\n"); false at the end of the input. A last line
  // without a newline counts. Throws t2::Error "PATH:LINE: line longer than N bytes ..." or on a
  // read error.
  bool next(std::string& line);
  // 1-based number of the line last returned (0 before the first).
  size_t line_number() const { return line_no_; }

  // The first n bytes of the input without consuming them (fewer at the end of the input).
  std::string peek(size_t n);
  // Everything not yet consumed, without any line bound (callers bound it themselves, e.g. a
  // compressed file inflated afterwards).
  std::string read_rest();

 private:
  bool fill();  // appends one read(2) to buf_; false at end of input
  int fd_ = -1;
  bool own_fd_ = false;
  bool eof_ = false;
  std::string path_;
  size_t max_ = kDefaultMaxLineBytes;
  std::string buf_;
  size_t pos_ = 0;
  size_t line_no_ = 0;
};

}  // namespace t2::io
