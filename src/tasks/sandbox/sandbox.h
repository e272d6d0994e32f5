// Runs untrusted Python programs (generated MBPP / HumanEval solutions) against their tests.
// Each run: python3 in a child with its own session and process group, rlimits, a fresh private
// temporary directory as cwd, a scrubbed environment, capped output, a wall-clock deadline after
// which the whole group is killed, and — where the kernel allows unprivileged user namespaces — new
// user, mount, PID and network namespaces (read-only filesystem except the temp dir, no network,
// the sandbox cannot see or signal outside processes); otherwise a supervising child subreaper
// kills every descendant and Landlock confines writes to the temp dir. A seccomp filter denies socket creation,
// ptrace and signals to outside processes in every mode. The verdict comes from a harness that
// writes a nonce-keyed result to a private pipe after the tests pass; exit codes alone count for
// nothing. Inside the sandbox the program and the tests run in two processes (harness.cpp): the
// program's process sees only the arguments of the calls the tests make, never the tests, their
// expected values, the nonce or the result pipe, so no program can read the answer from its
// caller. Nothing here knows about tasks: it runs (program, tests) pairs.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace t2::tasks::sandbox {

struct Limits {
  double wall_seconds = 10.0;       // deadline; then the whole group is SIGKILLed
  int cpu_seconds = 10;             // RLIMIT_CPU (soft; hard = soft + 1)
  size_t memory_bytes = 2ull << 30; // RLIMIT_AS
  int max_processes = 32;           // RLIMIT_NPROC (per sandbox in namespace mode)
  size_t file_bytes = 16ull << 20;  // RLIMIT_FSIZE
  int open_files = 64;              // RLIMIT_NOFILE
  size_t output_bytes = 64 << 10;   // stdout+stderr kept; the pipe is closed beyond it
  std::string temp_root;            // where run directories are made ("" = $TMPDIR or /tmp)
};

// How strongly runs are isolated; chosen once per Sandbox by probing the kernel.
enum class Isolation {
  namespaces,  // user+mount+pid+net namespaces, read-only root, seccomp
  basic,       // no namespaces: supervisor + own session, rlimits, Landlock, seccomp; root → nobody
};
const char* isolation_name(Isolation i);

// One program to run. `program` is executed first (as module __t2_program__, in the program's
// process), then `tests` in the tests' process, where each name the program defined is a proxy of
// the program's object (or its value); comparing or asserting the truth of a program's object is
// refused (it would hand the program the expected value, or forge __eq__/__bool__).
struct Job {
  std::string program;
  std::string tests;
  // The functions the task asks the program for, which the tests call by name even where a name
  // is also a Python builtin (MBPP 126 asks for `sum`). Any other builtin the program redefines
  // (abs, set, ...) keeps its builtin meaning in the tests, so the program cannot steer the tests'
  // own computations. Names that are not Python identifiers are ignored.
  std::vector<std::string> entry_points;
};

enum class Outcome { pass, fail, timeout, error };
const char* outcome_name(Outcome o);

struct Result {
  Outcome outcome = Outcome::error;
  std::string detail;  // why it failed ("AssertionError", "no result: exit status 0", ...)
  std::string output;  // captured stdout+stderr, at most Limits::output_bytes
  double seconds = 0;  // wall time of the run
};

// Thread-safe: run() may be called from several threads at once.
class Sandbox {
 public:
  // n_parallel: how many programs run_many runs at once (0 = number of cores).
  // strongest: the isolation to try first (basic skips the namespace probe; tests use it).
  // Throws t2::Error when python3 cannot be found or the sandbox cannot start at all.
  explicit Sandbox(Limits limits = {}, int n_parallel = 0, std::string python = "",
                   Isolation strongest = Isolation::namespaces);

  Result run(const Job& job) const;
  // Runs every job, at most n_parallel at a time; results in job order.
  std::vector<Result> run_many(const std::vector<Job>& jobs) const;

  Isolation isolation() const { return isolation_; }
  const Limits& limits() const { return limits_; }
  int n_parallel() const { return n_parallel_; }

 private:
  Result run_with(const Job& job, Isolation mode, const Limits& limits) const;
  Limits limits_;
  int n_parallel_ = 1;
  std::string python_;
  Isolation isolation_ = Isolation::basic;
};

// The Python harness source (exposed for tests and docs).
const std::string& harness_source();

}  // namespace t2::tasks::sandbox
