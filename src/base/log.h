// Rank-aware logging with printf-style format checking. By default only rank 0 prints info and
// progress; every rank prints warnings and errors, prefixed with its rank when the world has more
// than one. Output goes to stderr so that stdout stays machine-readable (JSON lines, tables).
#pragma once

namespace t2::log {

// Debug messages are compiled in but not printed.
enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// Set once at startup (after MPI init). Not thread-safe against concurrent log calls.
void set_rank(int rank, int world_size);

void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace t2::log

#define T2_LOG_DEBUG(...) ::t2::log::write(::t2::log::Level::debug, __VA_ARGS__)
#define T2_LOG_INFO(...) ::t2::log::write(::t2::log::Level::info, __VA_ARGS__)
#define T2_LOG_WARN(...) ::t2::log::write(::t2::log::Level::warn, __VA_ARGS__)
#define T2_LOG_ERROR(...) ::t2::log::write(::t2::log::Level::error, __VA_ARGS__)
