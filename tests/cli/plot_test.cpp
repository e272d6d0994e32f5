// `t2 plot` and its data side. Fixtures are made here: a training history (TSV, and a checkpoint
// written through the HDF5 layer with the trainer's layout), a search report in the layout that
// adapt/search_report.h documents, and evaluation reports written by the real io::ReportWriter —
// all with hand-chosen numbers, so the expected figure data (selected iteration, elite means,
// labels, interval bounds) is worked out by hand below. Then the built binary (T2_BINARY) renders
// every figure kind, and the files are checked: PNG signature and IHDR size (= size × dpi), SVG
// parsed as XML by Python's standard library with an <svg> root, the title text inside.
// Rendering needs python3-matplotlib (scripts/setup.sh installs it); without it those tests skip.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli/demo_plots.h"
#include "cli/plot_data.h"
#include "io/file.h"
#include "io/h5.h"
#include "base/error.h"
#include "io/report.h"

namespace t2::cli::plot {
namespace {

namespace fs = std::filesystem;
namespace h5 = io::h5;
using nlohmann::json;

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("t2_plot_test_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

struct Cmd {
  int status;
  std::string out;  // stdout and stderr
};
Cmd run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int rc = pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}
Cmd t2_plot(const std::string& args) { return run(std::string(T2_BINARY) + " plot " + args); }

// Whether a python3 that t2 plot would try (PATH, then /usr/bin/python3) imports matplotlib.
bool have_matplotlib() {
  static const bool have = [] {
    for (const char* py : {"python3", "/usr/bin/python3"})
      if (run(std::string(py) + " -c 'import matplotlib'").status == 0) return true;
    return false;
  }();
  return have;
}
#define REQUIRE_MATPLOTLIB()                                                                   \
  if (!have_matplotlib())                                                                      \
  GTEST_SKIP() << "python3-matplotlib is not installed (scripts/setup.sh installs it); figures " \
                  "are not rendered"

// The trainer's history: iterations 0..4, evaluated at 0, 2 and 4. Valid accuracy ties at 2 and 4:
// the trainer keeps the first strict maximum, so iteration 2 is the selected one.
const char* const kHistory =
    "iteration\tmean_reward\tloss\tgrad_norm\tparam_norm\ttrain_acc\tvalid_acc\ttest_acc\tt_rollout\t"
    "t_forward\tt_backward\tt_allreduce\tt_total\n"
    "0\t0\t0\t0\t3.0\t0.2\t0.25\t0.3\t0\t0\t0\t0\t0\n"
    "1\t-0.5\t0.7\t0.01\t3.1\t-1\t-1\t-1\t1\t1\t1\t0\t3\n"
    "2\t0\t0.5\t0.02\t3.2\t0.4\t0.5\t0.45\t1\t1\t1\t0\t3\n"
    "3\t0.5\t0.3\t0.03\t3.3\t-1\t-1\t-1\t1\t1\t1\t0\t3\n"
    "4\t0.5\t0.2\t0.01\t3.4\t0.6\t0.5\t0.55\t1\t1\t1\t0\t3\n";

void write_checkpoint(const fs::path& path) {
  h5::File f = h5::File::create(path.string());
  f.set_attr("format", "t2-train-checkpoint");
  f.set_attr("task", "gsm8k");
  f.set_attr("best_iteration", int64_t{2});
  h5::Group h = f.create_group("history");
  const std::vector<int64_t> it = {0, 1, 2};
  h.write("iteration", std::span<const int64_t>(it));
  const std::map<std::string, std::vector<double>> cols = {
      {"mean_reward", {0, -0.5, 0}}, {"loss", {0, 0.7, 0.5}}, {"grad_norm", {0, 0.01, 0.02}},
      {"param_norm", {3, 3.1, 3.2}}, {"train_acc", {0.2, -1, 0.4}}, {"valid_acc", {0.25, -1, 0.5}},
      {"test_acc", {0.3, -1, 0.45}}};
  for (const auto& [name, v] : cols) h.write(name, std::span<const double>(v));
}

// A search report: 3 experts, population 4, 2 generations, 3 shots; per_layer: dim 6 (2 matrices).
void write_search_report(const fs::path& path, bool per_layer) {
  h5::File f = h5::File::create(path.string());
  const int64_t dim = per_layer ? 6 : 3;
  f.set_attr("format", "t2-search-report");
  f.set_attr("task", "math");
  f.set_attr("experts", "math,code,reasoning");
  f.set_attr("config", std::string("task=math\nexpert=math=/nonexistent/math.h5\nper_layer=") +
                           (per_layer ? "1" : "0") + "\nmin=0\nmax=1\n");
  f.set_attr("dim", dim);
  f.set_attr("pop", int64_t{4});
  f.set_attr("generations", int64_t{2});
  const std::vector<int64_t> shots = {5, 1, 7};
  f.write("shots", std::span<const int64_t>(shots));
  const std::vector<double> fitness = {0.0, 1.0 / 3, 2.0 / 3, 0.0,  // generation 1
                                       1.0, 2.0 / 3, 1.0 / 3, 1.0 / 3};
  const std::vector<int64_t> elites = {2, 1, 0, 1};  // best first
  f.write("history/fitness", std::span<const double>(fitness), {2, 4});
  f.write("history/elites", std::span<const int64_t>(elites), {2, 2});
  std::vector<double> best(2 * dim);
  for (int64_t i = 0; i < 2 * dim; ++i) best[i] = 0.1 * static_cast<double>(i % 7);
  f.write("history/best", std::span<const double>(best), {2, dim});
  const std::vector<double> best_fitness = {2.0 / 3, 1.0};
  f.write("history/best_fitness", std::span<const double>(best_fitness));
  const std::vector<double> final_alpha(best.begin() + dim, best.end());
  f.write("final/alpha", std::span<const double>(final_alpha));
  const std::vector<int32_t> correct = {1, 1, 0, 1, -1, 0, 1, 1, 0, 0};
  h5::Dataset d = f.write("final/correct", std::span<const int32_t>(correct));
  d.set_attr("accuracy_clean", 3.0 / 7);
  d.set_attr("n_clean", int64_t{7});
}

// An evaluation report with `n` samples of each task, the first k[t] of them correct.
void write_report(const fs::path& path, const std::string& config, const std::map<std::string, int>& k,
                  int n, double pass1_s) {
  io::RunInfo run;
  run.command = "eval";
  run.config = config;
  io::ReportWriter w = io::ReportWriter::create(path.string(), run);
  std::vector<io::SampleRecord> recs;
  for (const auto& [task, n_ok] : k)
    for (int i = 0; i < n; ++i) {
      io::SampleRecord r;
      r.task = task;
      r.index = i;
      r.correct = i < n_ok;
      r.expert = "base";
      r.pass1_s = pass1_s;
      r.pass2_s = 0.5;
      recs.push_back(r);
    }
  w.commit(recs);
  w.finish(io::RunStatus::complete);
}

bool near(double a, double b) { return std::fabs(a - b) < 5e-5; }

TEST(PlotData, WilsonIntervalMatchesPublishedValues) {
  // Newcombe, "Two-sided confidence intervals for the single proportion", Stat. Med. 17 (1998),
  // Table I, method 3 (score interval without continuity correction).
  const struct { int64_t k, n; double lo, hi; } cases[] = {
      {81, 263, 0.2553, 0.3662}, {15, 148, 0.0624, 0.1605}, {0, 20, 0.0, 0.1611}, {1, 29, 0.0061, 0.1718}};
  for (const auto& c : cases) {
    const Interval i = wilson_interval(c.k, c.n);
    EXPECT_NEAR(i.lo, c.lo, 5e-5) << c.k << "/" << c.n;
    EXPECT_NEAR(i.hi, c.hi, 5e-5) << c.k << "/" << c.n;
  }
  const Interval all = wilson_interval(16, 16);  // 16 / (16 + z²) .. 1
  EXPECT_NEAR(all.lo, 16 / (16 + 1.959963984540054 * 1.959963984540054), 1e-12);
  EXPECT_DOUBLE_EQ(all.hi, 1.0);
  EXPECT_DOUBLE_EQ(wilson_interval(0, 0).hi, 1.0);
}

TEST(PlotData, TrainingHistoryFromTsvCheckpointAndExpert) {
  const fs::path d = temp_dir("history");
  io::write_file_atomic((d / "run.history.tsv").string(), kHistory);
  const Input tsv = classify_input((d / "run.history.tsv").string());
  EXPECT_EQ(tsv.kind, InputKind::training);
  EXPECT_EQ(tsv.name, (d / "run").string());
  const History h = read_history(tsv);
  EXPECT_EQ(h.selected_iteration, 2);  // first of the tied maxima
  const json f = reinforce_figure(h, tsv.name, "/x/run.training");
  EXPECT_EQ(f["kind"], "reinforce");
  EXPECT_TRUE(f["mean_reward"][0].is_null());  // iteration 0: no update yet
  EXPECT_DOUBLE_EQ(f["param_norm"][0].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(f["loss"][4].get<double>(), 0.2);
  EXPECT_TRUE(f["valid_acc"][1].is_null());  // -1: not evaluated
  EXPECT_DOUBLE_EQ(f["test_acc"][4].get<double>(), 0.55);
  EXPECT_EQ(f["selected_iteration"], 2);
  EXPECT_NE(f["title"].get<std::string>().find(tsv.name), std::string::npos);

  // The checkpoint, reached through the expert file beside it.
  write_checkpoint(d / "ck.ckpt.h5");
  h5::File::create((d / "ck.h5").string()).set_attr("format", "t2-svf-expert");
  const Input ck = classify_input((d / "ck.h5").string());
  EXPECT_EQ(ck.path, (d / "ck.ckpt.h5").string());
  const History hc = read_history(ck);
  EXPECT_EQ(hc.task, "gsm8k");
  EXPECT_EQ(hc.selected_iteration, 2);
  EXPECT_EQ(hc.columns.at("test_acc"), (std::vector<double>{0.3, -1, 0.45}));
  fs::remove_all(d);
}

TEST(PlotData, SearchReportGivesEliteMeansAndAlpha) {
  const fs::path d = temp_dir("search");
  write_search_report(d / "s.report.h5", false);
  const Input in = classify_input((d / "s.report.h5").string());
  EXPECT_EQ(in.kind, InputKind::search_report);
  EXPECT_EQ(in.name, (d / "s").string());
  const SearchHistory s = read_search_history(in.path);
  EXPECT_EQ(s.n_shots, 3);
  const json f = cem_figure(s, in.name, "/x/s.cem");
  // Generation 1: elites 2, 1 -> (2/3 + 1/3) / 2; generation 2: elites 0, 1 -> (1 + 2/3) / 2.
  EXPECT_TRUE(near(f["elite_mean"][0], 0.5));
  EXPECT_TRUE(near(f["elite_mean"][1], 5.0 / 6));
  EXPECT_TRUE(near(f["generation_best"][0], 2.0 / 3));
  EXPECT_EQ(f["generation"], json({1, 2}));
  EXPECT_EQ(f["final_alpha"].size(), 3u);
  EXPECT_TRUE(near(f["final_alpha"][0], 0.3));  // best[1][0] = 0.1 * (3 % 7)
  EXPECT_EQ(f["experts"], json({"math", "code", "reasoning"}));
  EXPECT_FALSE(f["per_layer"].get<bool>());

  write_search_report(d / "p.report.h5", true);  // its expert file is missing: generic row names
  const SearchHistory p = read_search_history((d / "p.report.h5").string());
  EXPECT_TRUE(p.per_layer);
  EXPECT_EQ(p.matrices, (std::vector<std::string>{"matrix 0", "matrix 1"}));
  fs::remove_all(d);
}

TEST(PlotData, ReportsAreLabelledByStrategyWithWilsonBars) {
  const fs::path d = temp_dir("reports");
  write_report(d / "a.h5", "model = m\nexpert = \nmixture = \n", {{"gsm8k", 8}, {"arc", 1}}, 10, 0);
  write_report(d / "b.h5", "model = m\nstrategy = prompt\n", {{"gsm8k", 9}}, 10, 0.25);
  write_report(d / "c.h5", "model = m\nexpert = /e/math.h5\n", {{"gsm8k", 5}}, 10, 0);
  write_report(d / "d.h5", "model = m\n", {{"gsm8k", 2}}, 10, 0);
  std::vector<std::pair<std::string, io::ReportData>> reports;
  for (const char* n : {"a.h5", "b.h5", "c.h5", "d.h5"}) {
    const Input in = classify_input((d / n).string());
    ASSERT_EQ(in.kind, InputKind::eval_report);
    reports.emplace_back(in.path, io::read_report(in.path));
  }
  EXPECT_EQ(report_label(reports[1].second), "prompt dispatch");
  EXPECT_EQ(report_label(reports[2].second), "expert math");
  const json f = reports_figure(reports, "sweep", "/x/sweep");
  ASSERT_EQ(f["runs"].size(), 4u);
  EXPECT_EQ(f["runs"][0]["label"], "base [a.h5]");  // two base runs: told apart by file
  EXPECT_EQ(f["runs"][3]["label"], "base [d.h5]");
  EXPECT_EQ(f["runs"][1]["label"], "prompt dispatch");
  const json& g = f["runs"][0]["values"]["gsm8k"];
  EXPECT_EQ(g["n"], 10);
  EXPECT_EQ(g["n_correct"], 8);
  EXPECT_TRUE(near(g["lo"], 0.4902) && near(g["hi"], 0.9433));
  EXPECT_TRUE(near(f["runs"][1]["values"]["gsm8k"]["pass1_s"], 2.5));  // 10 × 0.25 s
  EXPECT_FALSE(f["runs"][1]["values"].contains("arc"));
  EXPECT_EQ(f["groups"][0]["caption"], "arc\nn = 10");
  EXPECT_TRUE(f["timing"].get<bool>());
  EXPECT_EQ(f["interval"], kIntervalName);
  fs::remove_all(d);
}

TEST(PlotData, WrongInputsAreRefusedWithWhatWasFound) {
  const fs::path d = temp_dir("wrong");
  io::write_file_atomic((d / "notes.txt").string(), "hello\n");
  h5::File::create((d / "svd.h5").string()).set_attr("format", "t2-svd-store");
  h5::File::create((d / "mix.h5").string()).set_attr("format", "t2-svf-mixture");
  h5::File::create((d / "lone.h5").string()).set_attr("format", "t2-svf-expert");
  const auto message = [](const std::string& p) {
    try {
      classify_input(p);
    } catch (const t2::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message((d / "notes.txt").string()).find("neither HDF5 nor a training history"), std::string::npos);
  EXPECT_NE(message((d / "svd.h5").string()).find("format 't2-svd-store'"), std::string::npos);
  EXPECT_NE(message((d / "mix.h5").string()).find("give its search report"), std::string::npos);
  EXPECT_NE(message((d / "lone.h5").string()).find("lone.ckpt.h5"), std::string::npos);
  EXPECT_NE(message((d / "missing.h5").string()).find("no such file"), std::string::npos);
  EXPECT_NE(message(d.string()).find("without demo.json"), std::string::npos);
  fs::remove_all(d);
}

// PNG: signature, then the IHDR chunk with big-endian width and height.
std::pair<int, int> png_size(const fs::path& p) {
  const std::string b = io::read_file(p.string());
  if (b.size() < 24 || b.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || b.compare(12, 4, "IHDR") != 0)
    return {-1, -1};
  const auto be32 = [&](size_t at) {
    return (static_cast<uint8_t>(b[at]) << 24) | (static_cast<uint8_t>(b[at + 1]) << 16) |
           (static_cast<uint8_t>(b[at + 2]) << 8) | static_cast<uint8_t>(b[at + 3]);
  };
  return {be32(16), be32(20)};
}

// Parses the SVG with Python's XML parser; returns "" when it is well-formed with an <svg> root.
std::string svg_problem(const fs::path& p) {
  const Cmd r = run("python3 -c \"import sys, xml.etree.ElementTree as E; "
                    "t = E.parse(sys.argv[1]).getroot().tag; sys.exit(0 if t == '{http://www.w3.org/2000/svg}svg' "
                    "else 'root ' + t)\" " + p.string());
  return r.status == 0 ? "" : r.out;
}

void expect_figure(const fs::path& stem, const json& request, int dpi, bool svg) {
  SCOPED_TRACE(stem.string());
  const auto [w, h] = png_size(stem.string() + ".png");
  EXPECT_NEAR(w, request["size"][0].get<double>() * dpi, 1.0);
  EXPECT_NEAR(h, request["size"][1].get<double>() * dpi, 1.0);
  if (!svg) return;
  EXPECT_EQ(svg_problem(stem.string() + ".svg"), "");
  // Text stays text in our SVGs: the title naming the run is in the file.
  const std::string text = io::read_file(stem.string() + ".svg");
  const std::string title = request["title"];
  EXPECT_NE(text.find(title.substr(0, title.find('\n')).substr(0, 30)), std::string::npos);
}

TEST(PlotCommand, RendersEveryKindAsPngAndSvg) {
  REQUIRE_MATPLOTLIB();
  const fs::path d = temp_dir("render");
  io::write_file_atomic((d / "math.history.tsv").string(), kHistory);
  write_search_report(d / "s.report.h5", false);
  write_search_report(d / "p.report.h5", true);
  write_report(d / "a.h5", "strategy = base\n", {{"gsm8k", 8}, {"arc", 1}}, 10, 0);
  write_report(d / "b.h5", "strategy = classifier\n", {{"gsm8k", 9}, {"arc", 4}}, 10, 0.25);
  const fs::path out = d / "figs";
  const Cmd r = t2_plot((d / "math.history.tsv").string() + " " + (d / "s.report.h5").string() + " " +
                   (d / "p.report.h5").string() + " " + (d / "a.h5").string() + " " + (d / "b.h5").string() +
                   " --out " + out.string() + " --dpi 50 --format png,svg --data-out " + (d / "data.json").string());
  ASSERT_EQ(r.status, 0) << r.out;
  const json data = json::parse(io::read_file((d / "data.json").string()));
  ASSERT_EQ(data["figures"].size(), 4u);
  const char* stems[] = {"math.training", "s.cem", "p.cem", "reports"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(data["figures"][i]["path"], (out / stems[i]).string());
    EXPECT_NE(r.out.find((out / stems[i]).string() + ".png"), std::string::npos) << r.out;
    expect_figure(out / stems[i], data["figures"][i], 50, true);
  }
  fs::remove_all(d);
}

// A demo output folder: one expert, one unseen task with its CEM search.
json make_demo_folder(const fs::path& d) {
  fs::create_directories(d / "experts");
  fs::create_directories(d / "cem");
  io::write_file_atomic((d / "experts/math.history.tsv").string(), kHistory);
  write_search_report(d / "cem/math.report.h5", false);
  return {
      {"experts", {{{"expert", "math"}, {"task", "gsm8k"}, {"n_test", 20}, {"base_test_acc", 0.1},
                    {"expert_test_acc", 0.45}, {"beats_base_beyond_noise", true}}}},
      {"unseen", {{{"task", "math"}, {"n", 7}, {"base", {{"n", 7}, {"accuracy", 1.0 / 7}, {"pass1_s", 0}, {"pass2_s", 1.5}}},
                   {"prompt", {{"n", 7}, {"accuracy", 2.0 / 7}, {"pass1_s", 0.3}, {"pass2_s", 1.2}}},
                   {"cem", {{"n", 7}, {"accuracy", 3.0 / 7}}}}}}};
}

TEST(PlotCommand, DemoFolderFigures) {
  REQUIRE_MATPLOTLIB();
  const fs::path d = temp_dir("demo");
  io::write_file_atomic((d / "demo.json").string(), make_demo_folder(d).dump());
  const Cmd r = t2_plot(d.string() + " --format png --dpi 40 --data-out " + (d / "data.json").string());
  ASSERT_EQ(r.status, 0) << r.out;
  const json data = json::parse(io::read_file((d / "data.json").string()));
  const char* stems[] = {"experts", "training-math", "unseen", "cem-math"};
  ASSERT_EQ(data["figures"].size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(data["figures"][i]["path"], (d / stems[i]).string());
    expect_figure(d / stems[i], data["figures"][i], 40, false);
  }
  // 0.45 of 20 is 9 correct; the prompt strategy's cell carries its pass times.
  EXPECT_EQ(data["figures"][0]["runs"][1]["values"]["math"]["n_correct"], 9);
  EXPECT_TRUE(near(data["figures"][2]["runs"][1]["values"]["math"]["pass1_s"], 0.3));
  fs::remove_all(d);
}

// What `t2 demo` calls at its end: figures drawn and named in the summary, or the reason why not,
// never an exception.
TEST(PlotCommand, DemoAddsItsFiguresToTheSummary) {
  const fs::path d = temp_dir("demo_add");
  json summary = make_demo_folder(d);
  plot::DrawOptions no_python;
  no_python.python = (d / "no-such-python3").string();
  std::string line = demo::add_figures(d.string(), summary, no_python);
  EXPECT_NE(line.find("no figures: --python"), std::string::npos) << line;
  EXPECT_TRUE(summary["figures"].empty());
  EXPECT_NE(summary["figures_problem"].get<std::string>().find("python3-matplotlib"), std::string::npos);
  if (have_matplotlib()) {
    summary.erase("figures_problem");
    line = demo::add_figures(d.string(), summary);
    EXPECT_EQ(summary["figures"], json({"experts.png", "training-math.png", "unseen.png", "cem-math.png"}));
    EXPECT_EQ(line, "figures in " + d.string() + ": experts.png, training-math.png, unseen.png, cem-math.png\n");
    for (const auto& f : summary["figures"]) EXPECT_GT(png_size(d / f.get<std::string>()).first, 0) << f;
  }
  fs::remove_all(d);
}

TEST(PlotCommand, ClearErrors) {
  const fs::path d = temp_dir("errors");
  io::write_file_atomic((d / "run.history.tsv").string(), kHistory);
  const std::string hist = (d / "run.history.tsv").string();
  Cmd r = t2_plot((d / "nothing.h5").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("no such file"), std::string::npos) << r.out;
  r = t2_plot(hist + " --out " + hist + "/sub");  // a folder below a file
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("cannot use " + hist + "/sub as the output folder"), std::string::npos) << r.out;
  r = t2_plot(hist + " --format gif");
  EXPECT_NE(r.out.find("expected png, svg or png,svg"), std::string::npos) << r.out;
  r = t2_plot(hist + " --python /nonexistent/python3");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("python3-matplotlib"), std::string::npos) << r.out;
  // A real python3 that cannot import matplotlib: -S leaves out site-packages (Debian's
  // dist-packages among them).
  if (run("python3 -c pass").status == 0) {
    const fs::path wrapper = d / "bare-python3";
    io::write_file_atomic(wrapper.string(), "#!/bin/sh\nexec python3 -S \"$@\"\n");
    fs::permissions(wrapper, fs::perms::owner_all);
    r = t2_plot(hist + " --python " + wrapper.string() + " --out " + (d / "o").string());
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("cannot import matplotlib"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("apt-get install python3-matplotlib"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(d / "o" / "run.training.png"));
  }
  fs::remove_all(d);
}

}  // namespace
}  // namespace t2::cli::plot
