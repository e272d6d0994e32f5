// Implementation of the bounded line reader.
#include "io/line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace t2::io {

namespace {
constexpr size_t kChunk = size_t{64} << 10;
}  // namespace

LineReader::LineReader(const std::string& path, size_t max_line_bytes)
    : path_(path), max_(max_line_bytes) {
  T2_CHECK(max_ > 0, "%s: the line length limit must be positive", path.c_str());
  if (path == "-") {
    fd_ = 0;
    path_ = "<stdin>";
    return;
  }
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  T2_CHECK(fd_ >= 0, "cannot open '%s': %s", path.c_str(), std::strerror(errno));
  own_fd_ = true;
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    T2_FAIL("'%s' is a directory, not a file", path.c_str());
  }
}

LineReader::~LineReader() {
  if (own_fd_ && fd_ >= 0) ::close(fd_);
}

bool LineReader::fill() {
  if (eof_) return false;
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {  // drop consumed bytes before growing
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  const size_t old = buf_.size();
  buf_.resize(old + kChunk);
  ssize_t n;
  do {
    n = ::read(fd_, buf_.data() + old, kChunk);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    const int err = errno;
    buf_.resize(old);
    T2_FAIL("%s: read error after line %zu: %s", path_.c_str(), line_no_, std::strerror(err));
  }
  buf_.resize(old + static_cast<size_t>(n));
  if (n == 0) eof_ = true;
  return n > 0;
}

bool LineReader::next(std::string& line) {
  size_t scanned = pos_;
  for (;;) {
    const size_t nl = buf_.find('\n', scanned);
    if (nl != std::string::npos && nl - pos_ <= max_) {
      line.assign(buf_, pos_, nl - pos_);
      pos_ = nl + 1;
      break;
    }
    if (buf_.size() - pos_ > max_) {
      T2_FAIL("%s:%zu: line longer than %zu bytes (not a text file? raise the limit with "
              "--max-line-bytes if the line is meant to be this long)",
              path_.c_str(), line_no_ + 1, max_);
    }
    scanned = buf_.size();
    const size_t before = pos_;
    if (!fill()) {
      if (buf_.size() == pos_) return false;
      line.assign(buf_, pos_, std::string::npos);
      pos_ = buf_.size();
      break;
    }
    scanned -= before - pos_;  // fill() may have dropped consumed bytes
  }
  ++line_no_;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

std::string LineReader::peek(size_t n) {
  while (buf_.size() - pos_ < n && fill()) {
  }
  return buf_.substr(pos_, n);
}

std::string LineReader::read_rest() {
  while (fill()) {
  }
  std::string rest = buf_.substr(pos_);
  pos_ = buf_.size();
  return rest;
}

}  // namespace t2::io
