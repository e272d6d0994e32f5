// main() of the t2 binary: dispatches to a subcommand and turns errors into a message and a
// non-zero exit status. This is the composition root; all modules meet only here.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>

#include "base/error.h"
#include "cli/commands.h"

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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    print_usage(stdout);
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "--version") == 0) return t2::cli::run_version(1, argv);
  const std::string_view name = argv[1];
  for (const auto& c : kCommands) {
    if (c.name != name) continue;
    try {
      // The command sees argv[0] = "t2 NAME"-style program name and its own options.
      return c.run(argc - 1, argv + 1);
    } catch (const t2::Error& e) {
      std::fprintf(stderr, "t2 %s: error: %s\n", argv[1], e.what());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "t2 %s: internal error: %s\n", argv[1], e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "t2: unknown command '%s'\n\n", argv[1]);
  print_usage(stderr);
  return 2;
}
