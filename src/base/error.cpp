// Formatting helpers behind error.h.
#include "base/error.h"

#include <cstdarg>
#include <cstdio>
#include <vector>

namespace t2 {

std::string format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string out;
  if (n > 0) {
    std::vector<char> buf(static_cast<size_t>(n) + 1);
    std::vsnprintf(buf.data(), buf.size(), fmt, args);
    out.assign(buf.data(), static_cast<size_t>(n));
  }
  va_end(args);
  return out;
}

void throw_error(const char* file, int line, const std::string& message) {
  throw Error(format("%s (%s:%d)", message.c_str(), file, line));
}

}  // namespace t2
