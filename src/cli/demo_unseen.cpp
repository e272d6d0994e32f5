// Figures and tables of the demo's unseen-task stages; see demo_unseen.h.
#include "cli/demo_unseen.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "base/error.h"
#include "cli/demo_paired.h"
#include "io/h5.h"
#include "io/report.h"

namespace t2::cli::demo {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kStrategies[] = {"base", "prompt", "classifier"};

struct Shots {
  std::set<int64_t> index;
  std::map<int64_t, int> correct;  // CEM's final verdict per sample index
  json cem;  // accuracy, n, alpha, experts; null without a search report
};

Shots read_search(const std::string& path, int64_t n_items_hint) {
  Shots s;
  if (!fs::exists(path)) return s;
  const auto f = io::h5::File::open(path);
  for (int64_t i : f.dataset("shots").read_i64()) s.index.insert(i);
  const std::vector<int32_t> correct = f.dataset("final/correct").read_i32();
  T2_CHECK(n_items_hint < 0 || static_cast<int64_t>(correct.size()) == n_items_hint,
           "%s: %zu final results, the task has %lld samples", path.c_str(), correct.size(),
           static_cast<long long>(n_items_hint));
  int64_t n = 0, ok = 0;
  for (size_t i = 0; i < correct.size(); ++i) {
    s.correct[static_cast<int64_t>(i)] = correct[i] == 1;
    if (s.index.count(static_cast<int64_t>(i))) continue;
    ++n;
    ok += correct[i] == 1;
  }
  s.cem = {{"n", n}, {"accuracy", n ? static_cast<double>(ok) / static_cast<double>(n) : 0.0},
           {"alpha", f.dataset("final/alpha").read_f64()}, {"experts", f.attr_string("experts")},
           {"generations", f.attr_i64("generations")}, {"pop", f.attr_i64("pop")},
           {"shots", static_cast<int64_t>(s.index.size())}};
  return s;
}

}  // namespace

std::string eval_report(const std::string& out_dir, const std::string& strategy) {
  return out_dir + "/unseen-" + strategy + ".h5";
}
std::string search_report(const std::string& out_dir, const std::string& task) {
  return out_dir + "/cem/" + task + ".report.h5";
}
std::string mixture_file(const std::string& out_dir, const std::string& task) {
  return out_dir + "/cem/" + task + ".h5";
}

json unseen_figures(const std::string& out_dir, const std::vector<std::string>& tasks) {
  std::map<std::string, io::ReportData> reports;
  for (const char* s : kStrategies)
    if (fs::exists(eval_report(out_dir, s))) reports[s] = io::read_report(eval_report(out_dir, s));
  json out = json::array();
  for (const std::string& task : tasks) {
    int64_t n_items = -1;
    if (reports.count("base") && reports["base"].tasks.count(task))
      n_items = static_cast<int64_t>(reports["base"].tasks[task].size());
    const Shots shots = read_search(search_report(out_dir, task), n_items);
    json t = {{"task", task}, {"shots", static_cast<int64_t>(shots.index.size())}};
    std::map<std::string, std::map<int64_t, int>> verdicts;  // strategy -> sample index -> correct
    for (const auto& [strategy, report] : reports) {
      const auto it = report.tasks.find(task);
      if (it == report.tasks.end()) continue;
      int64_t n = 0, ok = 0;
      double p1 = 0, p2 = 0;
      for (const io::SampleRecord& r : it->second) {
        p1 += r.pass1_wall_s;  // shares of the batches: replica time per pass
        p2 += r.pass2_wall_s;
        verdicts[strategy][r.index] = r.correct;
        if (shots.index.count(r.index)) continue;
        ++n;
        ok += r.correct;
      }
      json labels = json::object();
      for (const io::SampleRecord& r : it->second)
        if (!r.label.empty()) labels[r.label] = labels.value(r.label, 0) + 1;
      t[strategy] = {{"n", n}, {"accuracy", n ? static_cast<double>(ok) / static_cast<double>(n) : 0.0},
                     {"pass1_s", p1}, {"pass2_s", p2}, {"labels", labels}};
      t["n"] = n;
    }
    if (!shots.cem.is_null()) {
      t["cem"] = shots.cem;
      verdicts["cem"] = shots.correct;
    }
    // Every system against the base, paired on the samples outside the shots.
    if (verdicts.count("base")) {
      json vs = json::object();
      for (const char* other : {"prompt", "classifier", "cem"})
        if (verdicts.count(other))
          vs[other] = to_json(paired_difference(verdicts["base"], verdicts[other], shots.index,
                                                (task + ": " + other + " vs base").c_str()));
      t["vs_base"] = vs;
    }
    out.push_back(t);
  }
  return out;
}

std::string unseen_tables(const json& figures) {
  const auto acc = [](const json& t, const char* k) {
    return t.contains(k) ? format("%8.3f", t[k]["accuracy"].get<double>()) : std::string("       -");
  };
  std::string s =
      "Unseen tasks: accuracy on the samples outside the CEM shots (greedy); prompt/classifier = "
      "two-pass dispatch to the math, code and reasoning experts\n";
  s += format("%-10s %5s %8s %8s %8s %8s\n", "task", "n", "base", "prompt", "classif.", "CEM");
  for (const json& t : figures)
    s += format("%-10s %5lld %s %s %s %s\n", t["task"].get<std::string>().c_str(),
                static_cast<long long>(t.value("n", int64_t{0})), acc(t, "base").c_str(),
                acc(t, "prompt").c_str(), acc(t, "classifier").c_str(), acc(t, "cem").c_str());
  s += "\nUnseen tasks: each system against the base model, paired on the same samples (2*SE: standard "
       "error of the per-sample difference; beyond noise: delta > 2*SE)\n";
  s += format("%-10s %-10s %s\n", "task", "system", paired_columns_header("system").c_str());
  for (const json& t : figures) {
    if (!t.contains("vs_base")) continue;
    for (const char* system : {"prompt", "classifier", "cem"})
      if (t["vs_base"].contains(system))
        s += format("%-10s %-10s %s\n", t["task"].get<std::string>().c_str(), system,
                    paired_columns(t["vs_base"][system]).c_str());
  }
  s += "\nCEM mixture weights found on the shots\n";
  for (const json& t : figures) {
    if (!t.contains("cem")) continue;
    std::string w;
    for (double a : t["cem"]["alpha"]) w += format("%s%.3f", w.empty() ? "" : ", ", a);
    s += format("%-10s %s = (%s)  [%lld shots, population %lld, %lld generations]\n",
                t["task"].get<std::string>().c_str(), t["cem"]["experts"].get<std::string>().c_str(),
                w.c_str(), static_cast<long long>(t["cem"]["shots"].get<int64_t>()),
                static_cast<long long>(t["cem"]["pop"].get<int64_t>()),
                static_cast<long long>(t["cem"]["generations"].get<int64_t>()));
  }
  s += "\nTwo-pass inference time (seconds summed over all samples of the task)\n";
  s += format("%-10s %-10s %9s %9s %9s  %s\n", "task", "strategy", "pass 1", "pass 2", "p1/p2",
              "pass-1 labels");
  for (const json& t : figures)
    for (const char* st : kStrategies) {
      if (!t.contains(st)) continue;
      const double p1 = t[st]["pass1_s"], p2 = t[st]["pass2_s"];
      std::string labels;
      for (const auto& [l, c] : t[st]["labels"].items())
        labels += format("%s%s %lld", labels.empty() ? "" : ", ", l.c_str(), static_cast<long long>(c.get<int64_t>()));
      s += format("%-10s %-10s %9.2f %9.2f %9.3f  %s\n", t["task"].get<std::string>().c_str(), st, p1, p2,
                  p2 > 0 ? p1 / p2 : 0.0, labels.c_str());
    }
  return s;
}

}  // namespace t2::cli::demo
