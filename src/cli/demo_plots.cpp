// The figures of a demo run; see demo_plots.h.
#include "cli/demo_plots.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "base/error.h"
#include "cli/demo_unseen.h"  // search_report
#include "cli/plot_data.h"

namespace t2::cli::demo {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// n_correct of an accuracy over n samples (the demo stores accuracies, not counts).
int64_t count_of(double accuracy, int64_t n) {
  return static_cast<int64_t>(std::llround(accuracy * static_cast<double>(n)));
}

json experts_figure(const json& experts, const std::string& demo_dir, const std::string& out) {
  std::vector<std::pair<std::string, std::string>> groups;
  plot::AccuracyRun base{"base model", {}}, expert{"SVF expert (iteration selected by valid)", {}};
  for (const json& e : experts) {
    if (!e.contains("expert_test_acc")) continue;  // its test evaluations did not run
    const std::string name = e.at("expert");
    const int64_t n = e.at("n_test");
    groups.emplace_back(name, format("%s (%s)\nn = %lld\n%s", name.c_str(),
                                     e.at("task").get<std::string>().c_str(), static_cast<long long>(n),
                                     e.at("beats_base_beyond_noise").get<bool>() ? "gain beyond noise"
                                                                                 : "within noise"));
    base.cells[name] = {n, count_of(e.at("base_test_acc"), n), 0, 0};
    expert.cells[name] = {n, count_of(e.at("expert_test_acc"), n), 0, 0};
  }
  return plot::accuracy_figure(groups, {base, expert}, /*timing=*/false,
                               "t2 demo: test accuracy of each SVF expert against the base model: " + demo_dir,
                               out, "expert (training task); verdict: paired difference beyond 2 SE or not");
}

json unseen_figure(const json& unseen, const std::string& demo_dir, const std::string& out) {
  std::vector<std::pair<std::string, std::string>> groups;
  std::vector<plot::AccuracyRun> runs = {{"base model", {}}, {"prompt dispatch", {}},
                                         {"classifier dispatch", {}}, {"CEM mixture", {}}};
  const char* keys[] = {"base", "prompt", "classifier", "cem"};
  for (const json& t : unseen) {
    const std::string task = t.at("task");
    groups.emplace_back(task, format("%s\nn = %lld", task.c_str(), static_cast<long long>(t.value("n", int64_t{0}))));
    for (size_t r = 0; r < runs.size(); ++r) {
      if (!t.contains(keys[r])) continue;
      const json& v = t[keys[r]];
      const int64_t n = v.at("n");
      runs[r].cells[task] = {n, count_of(v.at("accuracy"), n), v.value("pass1_s", 0.0), v.value("pass2_s", 0.0)};
    }
  }
  return plot::accuracy_figure(groups, runs, /*timing=*/true,
                               "t2 demo: unseen tasks, accuracy outside the CEM shots; time over all samples: " +
                                   demo_dir,
                               out, "unseen task");
}

}  // namespace

json figure_requests(const std::string& demo_dir, const json& summary, const std::string& out_dir) {
  json figs = json::array();
  const auto out = [&](const std::string& name) { return (fs::path(out_dir) / name).string(); };
  const auto has_figures = [](const json& e) { return e.contains("expert_test_acc"); };
  if (summary.contains("experts") && std::any_of(summary["experts"].begin(), summary["experts"].end(), has_figures))
    figs.push_back(experts_figure(summary["experts"], demo_dir, out("experts")));
  if (summary.contains("experts"))
    for (const json& e : summary["experts"]) {
      const std::string name = e.at("expert");
      const std::string stem = (fs::path(demo_dir) / "experts" / name).string();
      for (const std::string& f : {stem + ".ckpt.h5", stem + ".history.tsv"}) {
        if (!fs::exists(f)) continue;
        const plot::Input in = plot::classify_input(f);
        figs.push_back(plot::reinforce_figure(plot::read_history(in), in.name, out("training-" + name)));
        break;
      }
    }
  if (summary.contains("unseen") && !summary["unseen"].empty()) {
    figs.push_back(unseen_figure(summary["unseen"], demo_dir, out("unseen")));
    for (const json& t : summary["unseen"]) {
      const std::string task = t.at("task"), report = search_report(demo_dir, task);
      if (!fs::exists(report)) continue;
      figs.push_back(plot::cem_figure(plot::read_search_history(report),
                                      plot::classify_input(report).name, out("cem-" + task)));
    }
  }
  return figs;
}

std::string add_figures(const std::string& demo_dir, json& summary, const plot::DrawOptions& options) {
  try {
    const std::vector<std::string> files =
        plot::draw_figures(figure_requests(demo_dir, summary, demo_dir), options);
    json names = json::array();
    std::string line;
    for (const std::string& f : files) {
      names.push_back(fs::path(f).filename().string());
      line += (line.empty() ? "" : ", ") + fs::path(f).filename().string();
    }
    summary["figures"] = names;
    return "figures in " + demo_dir + ": " + line + "\n";
  } catch (const std::exception& e) {
    summary["figures"] = json::array();
    summary["figures_problem"] = e.what();
    return std::string("no figures: ") + e.what() + "\n";
  }
}

}  // namespace t2::cli::demo
