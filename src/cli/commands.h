// Entry points of the t2 subcommands. Each is defined in its own cmd_<name>.cpp and registered in
// the table in main.cpp. A command returns the process exit status and may throw t2::Error.
#pragma once

namespace t2::cli {

int run_version(int argc, char** argv);
int run_mini_suite(int argc, char** argv);
int run_eval(int argc, char** argv);
int run_report(int argc, char** argv);
int run_plot(int argc, char** argv);
int run_decompose(int argc, char** argv);
int run_expert(int argc, char** argv);
int run_mixture(int argc, char** argv);
int run_init(int argc, char** argv);
int run_logprobs(int argc, char** argv);
int run_generate(int argc, char** argv);
int run_bench(int argc, char** argv);
int run_tokenize(int argc, char** argv);
int run_score(int argc, char** argv);
int run_pretrain(int argc, char** argv);
int run_train(int argc, char** argv);
int run_search(int argc, char** argv);
int run_demo(int argc, char** argv);

}  // namespace t2::cli
