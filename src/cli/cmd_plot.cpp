// `t2 plot`: PNG/SVG figures of t2's own outputs — REINFORCE training curves, CEM searches,
// evaluation reports side by side (a sweep), a whole demo folder. Thin: inputs are recognised and
// read in plot_data.h, drawn by the embedded matplotlib script in plot_runner.h.
#include <cstdio>
#include <filesystem>
#include <set>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/demo_plots.h"
#include "cli/options.h"
#include "cli/plot_data.h"
#include "cli/plot_runner.h"
#include "io/file.h"
#include "io/report.h"

namespace t2::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// "Evaluation report R", or "N evaluation reports side by side in DIR: a.h5, b.h5" when they share
// a folder (else their paths).
std::string reports_title(const std::vector<std::pair<std::string, io::ReportData>>& reports) {
  if (reports.size() == 1) return "Evaluation report " + reports[0].first;
  const fs::path dir = fs::path(reports[0].first).parent_path();
  bool same_dir = true;
  for (const auto& [path, r] : reports) same_dir = same_dir && fs::path(path).parent_path() == dir;
  std::string names;
  for (const auto& [path, r] : reports)
    names += (names.empty() ? "" : ", ") + (same_dir ? fs::path(path).filename().string() : path);
  if (names.size() > 300) names = names.substr(0, 297) + "...";
  return format("%zu evaluation reports side by side%s: %s", reports.size(),
                same_dir && !dir.empty() ? (" in " + dir.string()).c_str() : "", names.c_str());
}

}  // namespace

int run_plot(int argc, char** argv) {
  std::vector<std::string> inputs;
  std::string out, formats = "png,svg", name, python, data_out;
  int dpi = 100;
  po::options_description desc(
      "t2 plot: figures of t2's outputs, drawn with matplotlib (Debian: python3-matplotlib).\n"
      "  training history (E.ckpt.h5, E.history.tsv or the expert E.h5 beside them) -> "
      "E.training: reward, loss, |g|, |p|, train/valid accuracy with the selected iteration, "
      "test accuracy in a final panel\n"
      "  search report (t2 search --report R.h5) -> R.cem: best and elite-mean fitness per "
      "generation, alpha of the best member per expert (a heat map with --per-layer)\n"
      "  evaluation reports (t2 eval --out) -> one figure for all of them: accuracy per task and "
      "report with 95% Wilson score intervals, pass-1 / pass-2 seconds per task\n"
      "  a t2 demo output folder -> its figures (experts, training-*, unseen, cem-*)\n"
      "Options");
  desc.add_options()
      ("input", po::value(&inputs)->composing(), "files or demo folders; also given without --input")
      ("out", po::value(&out), "output folder (default: the folder of the first input; a demo "
       "folder itself)")
      ("format", po::value(&formats)->default_value(formats), "png, svg or png,svg")
      ("dpi", po::value(&dpi)->default_value(dpi), "PNG resolution, pixels per inch")
      ("name", po::value(&name), "file name (no extension) of the evaluation-report figure "
       "(default: the report's name, or 'reports' for several)")
      ("python", po::value(&python), "python3 interpreter with matplotlib (default: python3 on "
       "PATH, then /usr/bin/python3)")
      ("data-out", po::value(&data_out), "also write the data handed to the plotting script (JSON)");
  po::positional_options_description pos;
  pos.add("input", -1);
  if (parse_options("t2 plot INPUT [INPUT ...] [--out DIR] [--format png,svg] [--dpi N]", desc, argc,
                    argv, &pos)
          .help)
    return 0;
  T2_CHECK(!inputs.empty(), "no input given (usage: t2 plot INPUT [INPUT ...] [--out DIR]; "
           "t2 plot --help lists what it reads)");
  T2_CHECK(dpi >= 10 && dpi <= 1200, "--dpi must be between 10 and 1200, found %d", dpi);
  plot::DrawOptions draw;
  draw.formats = plot::parse_formats(formats);
  draw.dpi = dpi;
  draw.python = python;

  std::vector<plot::Input> ins;
  for (const auto& p : inputs) ins.push_back(plot::classify_input(p));
  if (out.empty()) {
    const fs::path first(ins[0].path);
    out = ins[0].kind == plot::InputKind::demo_folder ? ins[0].path
          : first.has_parent_path()                  ? first.parent_path().string()
                                                     : ".";
  }
  plot::require_writable_folder(out);
  const auto at = [&](const std::string& stem) { return (fs::path(out) / stem).string(); };

  json figures = json::array();
  std::vector<std::pair<std::string, io::ReportData>> reports;
  std::string first_report;  // its name names the figure of a single report
  for (const plot::Input& in : ins) {
    const std::string stem = fs::path(in.name).filename().string();
    switch (in.kind) {
      case plot::InputKind::training:
        figures.push_back(plot::reinforce_figure(plot::read_history(in), in.name, at(stem + ".training")));
        break;
      case plot::InputKind::search_report:
        figures.push_back(plot::cem_figure(plot::read_search_history(in.path), in.name, at(stem + ".cem")));
        break;
      case plot::InputKind::eval_report:
        reports.emplace_back(in.path, io::read_report(in.path));
        if (first_report.empty()) first_report = stem;
        break;
      case plot::InputKind::demo_folder: {
        const json summary = json::parse(io::read_file(in.path + "/demo.json"));
        for (const json& f : demo::figure_requests(in.path, summary, out)) figures.push_back(f);
        break;
      }
    }
  }
  if (!reports.empty()) {
    if (name.empty())
      name = reports.size() == 1 ? first_report + ".report" : "reports";
    figures.push_back(plot::reports_figure(reports, reports_title(reports), at(name)));
  }
  std::set<std::string> paths;
  for (const json& f : figures)
    T2_CHECK(paths.insert(f["path"].get<std::string>()).second,
             "two figures would both be written to %s: plot inputs of the same name separately "
             "(different --out)", f["path"].get<std::string>().c_str());
  if (!data_out.empty())
    io::write_file_atomic(data_out, json{{"figures", figures}}.dump(1) + "\n");
  for (const std::string& f : plot::draw_figures(figures, draw)) std::printf("%s\n", f.c_str());
  return 0;
}

}  // namespace t2::cli
