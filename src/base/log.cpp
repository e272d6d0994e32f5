// Implementation of the rank-aware logger.
#include "base/log.h"

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace t2::log {
namespace {
int g_rank = 0;
int g_world = 1;
std::mutex g_mutex;
const char* tag(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warning";
    case Level::error: return "error";
  }
  return "";
}
}  // namespace

void set_rank(int rank, int world_size) {
  g_rank = rank;
  g_world = world_size;
}

void write(Level l, const char* fmt, ...) {
  if (l < Level::info) return;
  // Non-zero ranks stay silent below warnings.
  if (g_rank != 0 && l < Level::warn) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_world > 1) std::fprintf(stderr, "[rank %d] ", g_rank);
  if (l != Level::info) std::fprintf(stderr, "%s: ", tag(l));
  va_list args;
  va_start(args, fmt);
  std::vfprintf(stderr, fmt, args);
  va_end(args);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace t2::log
