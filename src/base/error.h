// Errors and checks. User-facing validation throws t2::Error with a message that says what was
// expected, what was found and, where possible, what the user probably did; it is always on.
// Internal invariants use T2_ASSERT, compiled out in release builds.
#pragma once

#include <cassert>
#include <stdexcept>
#include <string>
#include <vector>

namespace t2 {

// The one exception type of the project. Catch it at boundaries (cli main, per work item).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// An error that every rank of a job throws with the same message: a configuration checked alike on
// every rank, or a failure the ranks agreed on (one rank's problem shared with all, so that none
// waits for a peer that gave up). main() prints it once, on rank 0; a plain Error is printed by
// each rank that throws it.
class CollectiveError : public Error {
 public:
  using Error::Error;
};

// printf-style formatting into a std::string.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Every problem of a configuration in one message: "WHAT (N problems):\n  - P1\n  - P2".
std::string problem_list(const std::string& what, const std::vector<std::string>& problems);

}  // namespace t2

// T2_CHECK(cond, fmt, ...): user-facing validation; throws t2::Error with the formatted message.
#define T2_CHECK(cond, ...)                                   \
  do {                                                        \
    if (!(cond)) throw ::t2::Error(::t2::format(__VA_ARGS__)); \
  } while (0)

// T2_FAIL(fmt, ...): throws t2::Error unconditionally.
#define T2_FAIL(...) throw ::t2::Error(::t2::format(__VA_ARGS__))

// T2_ASSERT(cond): internal invariant, debug builds only.
#define T2_ASSERT(cond) assert(cond)
