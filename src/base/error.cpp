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

std::string problem_list(const std::string& what, const std::vector<std::string>& problems) {
  std::string msg = format("%s (%zu problem%s):", what.c_str(), problems.size(),
                           problems.size() == 1 ? "" : "s");
  for (const auto& p : problems) msg += "\n  - " + p;
  return msg;
}

}  // namespace t2
