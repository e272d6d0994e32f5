// Reading t2's outputs into figure requests; see plot_data.h.
#include "cli/plot_data.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/error.h"
#include "cli/options.h"  // split_list
#include "io/h5.h"
#include "svf/expert.h"

namespace t2::cli::plot {

namespace {

namespace fs = std::filesystem;
namespace h5 = io::h5;
using nlohmann::json;

const char* const kAccepted =
    "t2 plot reads: an evaluation report (t2 eval --out R.h5), a search report (t2 search --report "
    "R.h5), a training checkpoint E.ckpt.h5 or history E.history.tsv (t2 train --out E.h5; E.h5 "
    "itself works when they lie beside it), or a t2 demo output folder";

std::string strip(std::string s, std::initializer_list<const char*> suffixes) {
  for (const char* x : suffixes)
    if (s.ends_with(x) && s.size() > std::string(x).size()) return s.substr(0, s.size() - std::string(x).size());
  return s;
}

// A string attribute, or "" when absent or not a string.
std::string attr_or_empty(const h5::Object& o, const std::string& name) {
  if (!o.has_attr(name)) return "";
  try {
    return o.attr_string(name);
  } catch (const Error&) {
    return "";
  }
}

// "key = value" or "key=value" lines of a stored configuration; repeated keys keep every value.
std::multimap<std::string, std::string> config_lines(const std::string& text) {
  std::multimap<std::string, std::string> kv;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t\r");
      return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    kv.emplace(trim(line.substr(0, eq)), trim(line.substr(eq + 1)));
  }
  return kv;
}

std::string config_value(const std::multimap<std::string, std::string>& kv, const std::string& key) {
  const auto it = kv.find(key);
  return it == kv.end() ? "" : it->second;
}

// JSON number, or null for a value that marks "not measured" (negative accuracy, NaN).
json value_or_null(double v, bool negative_is_missing) {
  if (!std::isfinite(v) || (negative_is_missing && v < 0)) return nullptr;
  return v;
}

// "model.layers.12.mlp.gate_proj.weight" -> "12 mlp.gate_proj".
std::string short_matrix_name(std::string n) {
  n = strip(n, {".weight"});
  const std::string layers = "model.layers.";
  if (n.rfind(layers, 0) == 0) {
    n = n.substr(layers.size());
    const size_t dot = n.find('.');
    if (dot != std::string::npos) n[dot] = ' ';
  }
  return n;
}

History read_history_tsv(const std::string& path) {
  std::ifstream in(path);
  T2_CHECK(in.good(), "%s: cannot read", path.c_str());
  std::string header;
  std::getline(in, header);
  const std::vector<std::string> cols = split_list(header, '\t');
  T2_CHECK(!cols.empty() && cols[0] == "iteration",
           "%s: not a training history (first column '%s', expected 'iteration')", path.c_str(),
           cols.empty() ? "" : cols[0].c_str());
  History h;
  h.source = path;
  for (size_t c = 1; c < cols.size(); ++c) h.columns[cols[c]];  // present even without rows
  int64_t line_no = 1;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.empty()) continue;
    const std::vector<std::string> v = split_list(line, '\t');
    T2_CHECK(v.size() == cols.size(), "%s:%lld: %zu fields, the header has %zu", path.c_str(),
             static_cast<long long>(line_no), v.size(), cols.size());
    try {
      h.iteration.push_back(std::stoll(v[0]));
      for (size_t c = 1; c < cols.size(); ++c) h.columns[cols[c]].push_back(std::stod(v[c]));
    } catch (const std::exception&) {
      T2_FAIL("%s:%lld: not a number in '%s'", path.c_str(), static_cast<long long>(line_no),
              line.c_str());
    }
  }
  return h;
}

History read_history_checkpoint(const std::string& path) {
  const h5::File f = h5::File::open(path);
  History h;
  h.source = path;
  h.task = attr_or_empty(f, "task");
  T2_CHECK(f.has_group("history"), "%s: a training checkpoint without a history group", path.c_str());
  const h5::Group g = f.group("history");
  h.iteration = g.dataset("iteration").read_i64();
  for (const std::string& name : g.children()) {
    if (name == "iteration") continue;
    std::vector<double> col = g.dataset(name).read_f64();
    T2_CHECK(col.size() == h.iteration.size(), "%s: history/%s has %zu rows, history/iteration %zu",
             path.c_str(), name.c_str(), col.size(), h.iteration.size());
    h.columns[name] = std::move(col);
  }
  if (f.has_attr("best_iteration")) h.selected_iteration = f.attr_i64("best_iteration");
  return h;
}

}  // namespace

const char* input_kind_name(InputKind k) {
  switch (k) {
    case InputKind::eval_report: return "evaluation report";
    case InputKind::search_report: return "search report";
    case InputKind::training: return "training history";
    case InputKind::demo_folder: return "demo folder";
  }
  return "";
}

Input classify_input(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  T2_CHECK(fs::exists(st), "%s: no such file or folder (%s)", path.c_str(), kAccepted);
  if (fs::is_directory(st)) {
    T2_CHECK(fs::exists(fs::path(path) / "demo.json"),
             "%s is a folder without demo.json, so not a t2 demo output folder (%s)", path.c_str(),
             kAccepted);
    return {InputKind::demo_folder, path, path};
  }
  if (h5::File::is_hdf5(path)) {
    const h5::File f = h5::File::open(path);
    const std::string schema = attr_or_empty(f, "schema"), format = attr_or_empty(f, "format");
    if (schema == "t2-report") return {InputKind::eval_report, path, strip(path, {".h5"})};
    if (format == "t2-search-report")
      return {InputKind::search_report, path, strip(path, {".report.h5", ".h5"})};
    if (format == "t2-train-checkpoint")
      return {InputKind::training, path, strip(path, {".ckpt.h5"})};
    if (format == "t2-svf-expert") {
      const std::string stem = strip(strip(path, {".h5"}), {".latest"});
      for (const std::string& sibling : {stem + ".ckpt.h5", stem + ".history.tsv"})
        if (fs::exists(sibling)) return classify_input(sibling);
      T2_FAIL("%s is an SVF expert, but neither %s.ckpt.h5 nor %s.history.tsv is beside it: an "
              "expert file holds no history; give the files t2 train wrote next to it",
              path.c_str(), stem.c_str(), stem.c_str());
    }
    const std::string found = !schema.empty() ? "schema '" + schema + "'"
                              : !format.empty() ? "format '" + format + "'"
                                                : std::string("no t2 format attribute");
    const std::string hint = format == "t2-svf-mixture"
                                 ? " (a mixture holds no search history: give its search report, "
                                   "t2 search --report)"
                                 : "";
    T2_FAIL("%s: an HDF5 file with %s%s; %s", path.c_str(), found.c_str(), hint.c_str(), kAccepted);
  }
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  if (first.rfind("iteration\t", 0) == 0)
    return {InputKind::training, path, strip(path, {".history.tsv", ".tsv"})};
  T2_FAIL("%s: neither HDF5 nor a training history TSV (first line '%.40s'); %s", path.c_str(),
          first.c_str(), kAccepted);
}

Interval wilson_interval(int64_t k, int64_t n, double z) {
  if (n <= 0) return {};
  const double nn = static_cast<double>(n), p = static_cast<double>(k) / nn, z2 = z * z;
  const double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z / (1 + z2 / nn) * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

History read_history(const Input& in) {
  T2_CHECK(in.kind == InputKind::training, "%s is a %s, not a training history", in.path.c_str(),
           input_kind_name(in.kind));
  History h = in.path.ends_with(".h5") ? read_history_checkpoint(in.path) : read_history_tsv(in.path);
  for (const char* c : {"mean_reward", "loss", "grad_norm", "param_norm", "train_acc", "valid_acc", "test_acc"})
    T2_CHECK(h.columns.count(c), "%s: the history has no '%s' column", in.path.c_str(), c);
  if (h.selected_iteration < 0) {  // the trainer keeps the first strict maximum of valid accuracy
    double best = -1;
    const auto& valid = h.columns["valid_acc"];
    for (size_t r = 0; r < valid.size(); ++r)
      if (valid[r] > best) {
        best = valid[r];
        h.selected_iteration = h.iteration[r];
      }
  }
  return h;
}

SearchHistory read_search_history(const std::string& path) {
  const h5::File f = h5::File::open(path);
  T2_CHECK(attr_or_empty(f, "format") == "t2-search-report", "%s is not a t2 search report",
           path.c_str());
  SearchHistory s;
  s.source = path;
  s.task = attr_or_empty(f, "task");
  s.experts = split_list(f.attr_string("experts"), ',');
  s.pop = f.attr_i64("pop");
  s.dim = f.attr_i64("dim");
  const auto cfg = config_lines(attr_or_empty(f, "config"));
  s.per_layer = config_value(cfg, "per_layer") == "1";
  if (!config_value(cfg, "min").empty()) s.alpha_min = std::stod(config_value(cfg, "min"));
  if (!config_value(cfg, "max").empty()) s.alpha_max = std::stod(config_value(cfg, "max"));
  s.n_shots = f.dataset("shots").n_elements();
  const int64_t K = static_cast<int64_t>(s.experts.size());
  T2_CHECK(K > 0 && s.dim % K == 0 && s.pop > 0, "%s: %lld experts, dim %lld, population %lld do "
           "not fit together", path.c_str(), static_cast<long long>(K),
           static_cast<long long>(s.dim), static_cast<long long>(s.pop));
  if (f.has_group("history")) {
    const h5::Group g = f.group("history");
    const std::vector<double> fit = g.dataset("fitness").read_f64(), best = g.dataset("best").read_f64();
    const std::vector<int64_t> el = g.dataset("elites").read_i64();
    s.best_fitness = g.dataset("best_fitness").read_f64();
    const size_t G = s.best_fitness.size();
    T2_CHECK(fit.size() == G * s.pop && best.size() == G * s.dim && G > 0 && el.size() % G == 0,
             "%s: history datasets of inconsistent sizes", path.c_str());
    const size_t E = el.size() / G;
    for (size_t i = 0; i < G; ++i) {
      s.fitness.emplace_back(fit.begin() + i * s.pop, fit.begin() + (i + 1) * s.pop);
      s.best.emplace_back(best.begin() + i * s.dim, best.begin() + (i + 1) * s.dim);
      s.elites.emplace_back(el.begin() + i * E, el.begin() + (i + 1) * E);
      for (int64_t e : s.elites.back())
        T2_CHECK(e >= 0 && e < s.pop, "%s: elite index %lld outside the population", path.c_str(),
                 static_cast<long long>(e));
    }
  }
  s.final_alpha = f.dataset("final/alpha").read_f64();
  T2_CHECK(static_cast<int64_t>(s.final_alpha.size()) == s.dim, "%s: final/alpha has %zu values, dim "
           "is %lld", path.c_str(), s.final_alpha.size(), static_cast<long long>(s.dim));
  const h5::Dataset fin = f.dataset("final/correct");
  s.accuracy_clean = fin.attr_f64("accuracy_clean");
  s.n_clean = fin.attr_i64("n_clean");
  if (s.per_layer) {
    const int64_t M = s.dim / K;
    // Row names: the first expert's matrices, in the order the search bank uses (sorted names).
    const auto experts = cfg.equal_range("expert");
    if (experts.first != experts.second) {
      const std::string spec = experts.first->second;  // label=path
      const size_t eq = spec.find('=');
      try {
        const svf::Expert e = svf::load_expert(spec.substr(eq + 1));
        if (static_cast<int64_t>(e.params.size()) == M)
          for (const auto& [name, p] : e.params) s.matrices.push_back(short_matrix_name(name));
      } catch (const Error&) {
      }
    }
    if (s.matrices.empty())
      for (int64_t m = 0; m < M; ++m) s.matrices.push_back("matrix " + std::to_string(m));
  }
  return s;
}

std::string report_label(const io::ReportData& r) {
  const auto cfg = config_lines(r.run.config);
  const auto stem = [](const std::string& p) { return fs::path(p).stem().string(); };
  const std::string strategy = config_value(cfg, "strategy");
  const std::string expert = config_value(cfg, "expert"), mixture = config_value(cfg, "mixture");
  if (strategy == "prompt" || strategy == "classifier") return strategy + " dispatch";
  if ((strategy.empty() || strategy == "expert") && !expert.empty()) return "expert " + stem(expert);
  if ((strategy.empty() || strategy == "mixture") && !mixture.empty()) return "mixture " + stem(mixture);
  return strategy.empty() ? "base" : strategy;
}

json reinforce_figure(const History& h, const std::string& name, const std::string& out) {
  std::string title = "REINFORCE training of the " + (h.task.empty() ? "" : h.task + " ") + "expert: " + name;
  if (h.selected_iteration >= 0)
    title += format(" (iteration %lld selected by valid accuracy)", static_cast<long long>(h.selected_iteration));
  json d = {{"kind", "reinforce"}, {"path", out}, {"title", title}, {"size", {12, 7}},
            {"iteration", h.iteration}};
  for (const std::string c : {"mean_reward", "loss", "grad_norm", "param_norm"}) {
    json col = json::array();
    for (size_t r = 0; r < h.iteration.size(); ++r) {
      // Row 0 is the initial expert: no update yet, so only |p| means something there.
      const bool before_update = h.iteration[r] == 0 && c != "param_norm";
      col.push_back(before_update ? json(nullptr) : value_or_null(h.columns.at(c)[r], false));
    }
    d[c] = col;
  }
  for (const char* c : {"train_acc", "valid_acc", "test_acc"}) {
    json col = json::array();
    for (double v : h.columns.at(c)) col.push_back(value_or_null(v, true));
    d[c] = col;
  }
  d["selected_iteration"] = h.selected_iteration >= 0 ? json(h.selected_iteration) : json(nullptr);
  return d;
}

json cem_figure(const SearchHistory& s, const std::string& name, const std::string& out) {
  std::string experts;
  for (const auto& e : s.experts) experts += (experts.empty() ? "" : ", ") + e;
  const std::string title = format(
      "CEM search on %s: %s\nmixture of %s (%s); population %lld, %zu generations, %lld shots\n"
      "best α: accuracy %.3f on the %lld samples outside the shots",
      s.task.c_str(), name.c_str(), experts.c_str(),
      s.per_layer ? "one α per expert and matrix" : "one α per expert", static_cast<long long>(s.pop),
      s.fitness.size(), static_cast<long long>(s.n_shots), s.accuracy_clean,
      static_cast<long long>(s.n_clean));
  json gen = json::array(), gen_best = json::array(), elite_mean = json::array();
  for (size_t g = 0; g < s.fitness.size(); ++g) {
    gen.push_back(g + 1);
    gen_best.push_back(*std::max_element(s.fitness[g].begin(), s.fitness[g].end()));
    double sum = 0;
    for (int64_t e : s.elites[g]) sum += s.fitness[g][e];
    elite_mean.push_back(s.elites[g].empty() ? 0.0 : sum / static_cast<double>(s.elites[g].size()));
  }
  const double height = s.per_layer ? std::max(5.2, 2.9 + 0.14 * std::min<double>(s.matrices.size(), 24)) : 5.2;
  return {{"kind", "cem"}, {"path", out}, {"title", title}, {"size", {11, height}},
          {"generation", gen}, {"fitness", s.fitness}, {"best_fitness", s.best_fitness},
          {"generation_best", gen_best},
          {"elite_mean", elite_mean}, {"experts", s.experts}, {"best_alpha", s.best},
          {"final_alpha", s.final_alpha}, {"per_layer", s.per_layer}, {"matrices", s.matrices},
          {"n_shots", s.n_shots}, {"alpha_range", {s.alpha_min, s.alpha_max}},
          {"final", {{"accuracy_clean", s.accuracy_clean}, {"n_clean", s.n_clean}}}};
}

json accuracy_figure(const std::vector<std::pair<std::string, std::string>>& groups,
                     const std::vector<AccuracyRun>& runs, bool timing, const std::string& title,
                     const std::string& out, const std::string& xlabel) {
  json g = json::array(), rs = json::array();
  for (const auto& [key, caption] : groups) g.push_back({{"key", key}, {"caption", caption}});
  for (const AccuracyRun& r : runs) {
    json values = json::object();
    for (const auto& [key, c] : r.cells) {
      const Interval ci = wilson_interval(c.n_correct, c.n);
      values[key] = {{"n", c.n}, {"n_correct", c.n_correct},
                     {"accuracy", c.n ? static_cast<double>(c.n_correct) / static_cast<double>(c.n) : 0.0},
                     {"lo", ci.lo}, {"hi", ci.hi}, {"pass1_s", c.pass1_s}, {"pass2_s", c.pass2_s}};
    }
    rs.push_back({{"label", r.label}, {"values", values}});
  }
  const double n_bars = static_cast<double>(groups.size() * std::max<size_t>(1, runs.size()));
  const double width = std::min(16.0, 6.0 + 0.35 * n_bars);
  return {{"kind", "accuracy"}, {"path", out}, {"title", title}, {"size", {width, timing ? 7.0 : 4.2}},
          {"groups", g}, {"runs", rs}, {"timing", timing}, {"interval", kIntervalName},
          {"xlabel", xlabel}};
}

json reports_figure(const std::vector<std::pair<std::string, io::ReportData>>& reports,
                    const std::string& title, const std::string& out) {
  std::vector<AccuracyRun> runs;
  std::map<std::string, int> label_count;
  std::set<std::string> tasks;
  for (const auto& [path, r] : reports) ++label_count[report_label(r)];
  for (const auto& [path, r] : reports) {
    AccuracyRun run;
    run.label = report_label(r);
    if (label_count[run.label] > 1) run.label += " [" + fs::path(path).filename().string() + "]";
    if (r.status != "complete") run.label += " (" + r.status + ")";  // e.g. still running
    for (const auto& [task, rows] : r.tasks) {
      tasks.insert(task);
      // From the rows: stored summaries may lag them while a run is in progress.
      const io::TaskSummary s = io::summarize(rows);
      run.cells[task] = {s.n, s.n_correct, s.pass1_s, s.pass2_s};
    }
    runs.push_back(std::move(run));
  }
  std::vector<std::pair<std::string, std::string>> groups;
  for (const std::string& t : tasks) {
    int64_t lo = -1, hi = -1;
    for (const AccuracyRun& r : runs)
      if (r.cells.count(t)) {
        const int64_t n = r.cells.at(t).n;
        lo = lo < 0 ? n : std::min(lo, n);
        hi = std::max(hi, n);
      }
    groups.emplace_back(t, lo == hi ? format("%s\nn = %lld", t.c_str(), static_cast<long long>(lo))
                                    : format("%s\nn = %lld-%lld", t.c_str(), static_cast<long long>(lo),
                                             static_cast<long long>(hi)));
  }
  return accuracy_figure(groups, runs, /*timing=*/true, title, out);
}

}  // namespace t2::cli::plot
