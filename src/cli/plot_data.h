// The data side of `t2 plot`: recognises t2's output files by their content, reads them with t2's
// own readers (io::read_report for evaluation reports, io::h5 for search reports and training
// checkpoints, the history TSV as text) and turns them into figure requests — plain JSON that
// plot_figures.py draws (see plot_runner.h). Nothing here draws; nothing in the script reads HDF5.
//
// Figure kinds: "reinforce" (one training history), "cem" (one search report), "accuracy"
// (accuracy per group and run with binomial intervals, optionally with the two-pass times).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/report.h"

namespace t2::cli::plot {

enum class InputKind { eval_report, search_report, training, demo_folder };
const char* input_kind_name(InputKind k);

struct Input {
  InputKind kind;
  std::string path;  // the file to read (for an expert file: its E.ckpt.h5 or E.history.tsv)
  std::string name;  // for titles and output names: the path without its t2 suffixes
};

// Recognises an evaluation report (HDF5, schema t2-report), a search report (t2 search --report),
// a training checkpoint E.ckpt.h5, a history E.history.tsv, an expert E.h5 with one of those two
// beside it, or a t2 demo output folder (demo.json). Anything else throws naming what was found
// and what t2 plot accepts.
Input classify_input(const std::string& path);

// Wilson score interval of a binomial proportion k/n (z = 1.96: 95 %). n = 0 gives [0, 1].
struct Interval {
  double lo = 0, hi = 1;
};
Interval wilson_interval(int64_t k, int64_t n, double z = 1.959963984540054);
inline constexpr const char* kIntervalName = "95% Wilson score interval";

// A REINFORCE history: one row per iteration (row 0: the initial expert, before any update).
struct History {
  std::string source;  // the file it was read from
  std::string task;    // "" when unknown (a TSV holds no task)
  std::vector<int64_t> iteration;
  std::map<std::string, std::vector<double>> columns;  // mean_reward, loss, grad_norm, param_norm,
                                                       // train_acc, valid_acc, test_acc (-1: not
                                                       // evaluated at that row), t_* seconds
  int64_t selected_iteration = -1;  // best by valid accuracy (first strict maximum); -1: none
};
History read_history(const Input& in);

// A CEM search report.
struct SearchHistory {
  std::string source, task;
  std::vector<std::string> experts;  // K labels
  std::vector<std::string> matrices; // per-layer: M names (from the first expert file when it can
                                     // be read, else "matrix m")
  bool per_layer = false;
  int64_t pop = 0, dim = 0, n_shots = 0;
  double alpha_min = 0, alpha_max = 1;
  std::vector<std::vector<double>> fitness;  // [G][pop]
  std::vector<std::vector<int64_t>> elites;  // [G][n_elites]
  std::vector<std::vector<double>> best;     // [G][dim] best so far after each generation
  std::vector<double> best_fitness;          // [G]
  std::vector<double> final_alpha;           // [dim]
  double accuracy_clean = 0;
  int64_t n_clean = 0;
};
SearchHistory read_search_history(const std::string& path);

// Legend label of an evaluation report from its configuration: "base", "expert NAME",
// "mixture NAME", "prompt dispatch", "classifier dispatch".
std::string report_label(const io::ReportData& r);

// Figure requests. name: the run's name in the title (e.g. the input's path without suffixes);
// out: output path without extension. Every request carries its size in inches.
nlohmann::json reinforce_figure(const History& h, const std::string& name, const std::string& out);
nlohmann::json cem_figure(const SearchHistory& s, const std::string& name, const std::string& out);

// One bar group (a task or an expert) of one run in an accuracy figure.
struct AccuracyCell {
  int64_t n = 0, n_correct = 0;
  double pass1_s = 0, pass2_s = 0;
};
struct AccuracyRun {
  std::string label;
  std::map<std::string, AccuracyCell> cells;  // group key -> cell
};
// groups: (key, caption) in display order; timing: add the pass-1 / pass-2 panel.
nlohmann::json accuracy_figure(const std::vector<std::pair<std::string, std::string>>& groups,
                               const std::vector<AccuracyRun>& runs, bool timing,
                               const std::string& title, const std::string& out,
                               const std::string& xlabel = "task");
// Reports side by side: one run per report (labels from report_label, made unique with the file
// name, with the status unless complete), one group per task (counts and times summarised from the
// sample rows), with the two-pass times.
nlohmann::json reports_figure(const std::vector<std::pair<std::string, io::ReportData>>& reports,
                              const std::string& title, const std::string& out);

}  // namespace t2::cli::plot
