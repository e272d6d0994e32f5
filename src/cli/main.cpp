// main() of the t2 binary: dispatches to a subcommand and turns errors into a message and a
// non-zero exit status. This is the composition root; all modules meet only here. Two things every
// command gets from here: standard output is checked when the command ends (a write that failed —
// a full disk, /dev/full — fails the command instead of leaving an empty file and exit 0), and an
// error is printed by one rank only when every rank of the job has it (CollectiveError).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <iostream>
#include <string_view>

#include "base/error.h"
#include "cli/commands.h"
#include "dist/work/queue.h"  // test_unit_delay_ms

namespace {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(int argc, char** argv);
};

// Keep in the order a user meets them; `t2 --help` prints this table.
constexpr Command kCommands[] = {
    {"demo", "the whole method on the embedded mini model (start here)", t2::cli::run_demo},
    {"eval", "evaluate tasks (base, expert, mixture, prompt or classifier dispatch) into a report", t2::cli::run_eval},
    {"search", "few-shot CEM search of expert-mixture weights (mpirun: candidates in parallel)", t2::cli::run_search},
    {"train", "REINFORCE-train an SVF expert on a task (mpirun: data parallel)", t2::cli::run_train},
    {"decompose", "thin SVD of a checkpoint's adapted matrices into an SVD store", t2::cli::run_decompose},
    {"expert", "create (init) or inspect (show) an SVF expert file", t2::cli::run_expert},
    {"mixture", "build (make) or inspect (show) a mixture of SVF experts", t2::cli::run_mixture},
    {"report", "per-task summary tables of one or several reports (text or CSV)", t2::cli::run_report},
    {"plot", "PNG/SVG figures of training histories, searches, reports and demo folders", t2::cli::run_plot},
    {"generate", "generate text or tokens from a prompt, optionally with an expert or mixture", t2::cli::run_generate},
    {"logprobs", "teacher-forced log-probabilities of token sequences", t2::cli::run_logprobs},
    {"score", "rescore saved completions of a benchmark (no model)", t2::cli::run_score},
    {"tokenize", "encode JSONL text or chat prompts to token ids, or decode ids", t2::cli::run_tokenize},
    {"pretrain", "train a Llama-family model from scratch on a JSONL corpus", t2::cli::run_pretrain},
    {"init", "write a random-weight checkpoint for a config.json", t2::cli::run_init},
    {"bench", "prefill / decode / scoring throughput of a checkpoint", t2::cli::run_bench},
    {"mini-suite", "generate the embedded mini task suite (real schemas)", t2::cli::run_mini_suite},
    {"version", "print version, git revision and build features", t2::cli::run_version},
};

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "t2: Transformer² (self-adaptive LLMs via singular value fine-tuning)\n\n"
               "usage: t2 COMMAND [options]   (t2 COMMAND --help for a command's options)\n\n"
               "commands:\n");
  for (const auto& c : kCommands) {
    std::fprintf(out, "  %-12.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  }
}

// This process's rank and the job's size as the launcher (mpirun, srun) announced them in the
// environment, before and after MPI starts; 0 and 1 without a launcher.
struct LaunchRank {
  int rank = 0;
  int size = 1;
};

LaunchRank launch_rank() {
  auto read = [](std::initializer_list<const char*> vars) {
    for (const char* v : vars)
      if (const char* s = std::getenv(v); s && *s) return std::atoi(s);
    return -1;
  };
  LaunchRank r;
  const int rank = read({"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK"});
  const int size = read({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"});
  if (rank >= 0) r.rank = rank;
  if (size >= 1) r.size = size;
  return r;
}

// Prints a command's error: once for the job when every rank has it, else on this rank, with the
// rank named when the job has several.
void print_error(const char* command, const char* kind, const char* what, bool collective) {
  const LaunchRank r = launch_rank();
  if (collective && r.rank != 0) return;
  if (r.size > 1 && !collective) std::fprintf(stderr, "[rank %d] ", r.rank);
  std::fprintf(stderr, "t2 %s: %s: %s\n", command, kind, what);
}

// Flushes and closes standard output; a write that failed at any time makes a successful command
// fail with the system's reason.
int close_stdout(const char* command, int status) {
  std::cout.flush();
  errno = 0;
  const bool failed = std::fflush(stdout) != 0 || std::ferror(stdout) != 0 || !std::cout.good();
  const int err = errno;
  const bool close_failed = std::fclose(stdout) != 0;
  if (!failed && !close_failed) return status;
  const int reason = err != 0 ? err : errno;
  // A write that failed before the final flush leaves the stream's error flag but not its errno.
  print_error(command, "error",
              t2::format("cannot write standard output (%s); the output is incomplete",
                         reason != 0 ? std::strerror(reason) : "a write failed: a full disk?").c_str(),
              false);
  return status == 0 ? 1 : status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    print_usage(stdout);
    return close_stdout("help", argc < 2 ? 2 : 0);
  }
  if (std::strcmp(argv[1], "--version") == 0) return close_stdout("version", t2::cli::run_version(1, argv));
  const std::string_view name = argv[1];
  for (const auto& c : kCommands) {
    if (c.name != name) continue;
    int status = 1;
    try {
      t2::dist::test_unit_delay_ms();  // environment checked before any output exists
      // The command sees argv[0] = "t2 NAME"-style program name and its own options.
      status = c.run(argc - 1, argv + 1);
    } catch (const t2::CollectiveError& e) {
      print_error(argv[1], "error", e.what(), true);
    } catch (const t2::Error& e) {
      print_error(argv[1], "error", e.what(), false);
    } catch (const std::exception& e) {
      print_error(argv[1], "internal error", e.what(), false);
    }
    return close_stdout(argv[1], status);
  }
  std::fprintf(stderr, "t2: unknown command '%s'\n\n", argv[1]);
  print_usage(stderr);
  return 2;
}
