// Summary tables; see report_table.h.
#include "adapt/report_table.h"

#include <algorithm>
#include <set>

#include "base/error.h"

namespace t2::adapt {

namespace {

std::set<std::string> all_tasks(const std::vector<NamedSummaries>& reports) {
  std::set<std::string> tasks;
  for (const auto& r : reports)
    for (const auto& [t, s] : r.second) tasks.insert(t);
  return tasks;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string format_summary_table(const std::vector<NamedSummaries>& reports) {
  const auto tasks = all_tasks(reports);
  size_t wt = 4, wr = 6;
  for (const auto& t : tasks) wt = std::max(wt, t.size());
  for (const auto& r : reports) wr = std::max(wr, r.first.size());
  std::string out = t2::format("%-*s  %-*s %7s %7s %7s %6s %10s %10s %6s %9s %9s\n",
                               static_cast<int>(wt), "task", static_cast<int>(wr), "report", "n",
                               "correct", "acc%", "errors", "pass1 s", "pass2 s", "p1/p2",
                               "gen tok", "tok/s");
  for (const auto& t : tasks) {
    for (const auto& [name, sums] : reports) {
      const auto it = sums.find(t);
      if (it == sums.end()) {
        out += t2::format("%-*s  %-*s %7s\n", static_cast<int>(wt), t.c_str(),
                          static_cast<int>(wr), name.c_str(), "-");
        continue;
      }
      const io::TaskSummary& s = it->second;
      out += t2::format("%-*s  %-*s %7lld %7lld %7.2f %6lld %10.3f %10.3f %6.3f %9lld %9.1f\n",
                        static_cast<int>(wt), t.c_str(), static_cast<int>(wr), name.c_str(),
                        static_cast<long long>(s.n), static_cast<long long>(s.n_correct),
                        100.0 * s.accuracy, static_cast<long long>(s.n_errors), s.pass1_s,
                        s.pass2_s, s.pass_ratio, static_cast<long long>(s.generated_tokens),
                        s.tokens_per_s);
    }
  }
  if (reports.size() > 1) {
    out += "\naccuracy %";
    out += t2::format("\n%-*s", static_cast<int>(wt), "task");
    for (size_t i = 0; i < reports.size(); ++i) out += t2::format(" %10s", t2::format("[%zu]", i + 1).c_str());
    out += "\n";
    for (const auto& t : tasks) {
      out += t2::format("%-*s", static_cast<int>(wt), t.c_str());
      for (const auto& [name, sums] : reports) {
        const auto it = sums.find(t);
        out += it == sums.end() ? t2::format(" %10s", "-")
                                : t2::format(" %10.2f", 100.0 * it->second.accuracy);
      }
      out += "\n";
    }
    for (size_t i = 0; i < reports.size(); ++i)
      out += t2::format("[%zu] %s\n", i + 1, reports[i].first.c_str());
  }
  return out;
}

std::string format_summary_csv(const std::vector<NamedSummaries>& reports) {
  std::string out =
      "task,report,n,correct,accuracy,errors,pass1_s,pass2_s,pass_ratio,prompt_tokens,"
      "generated_tokens,tokens_per_s\n";
  for (const auto& t : all_tasks(reports)) {
    for (const auto& [name, sums] : reports) {
      const auto it = sums.find(t);
      if (it == sums.end()) continue;
      const io::TaskSummary& s = it->second;
      out += t2::format("%s,%s,%lld,%lld,%.6f,%lld,%.6f,%.6f,%.6f,%lld,%lld,%.3f\n",
                        csv_field(t).c_str(), csv_field(name).c_str(), static_cast<long long>(s.n),
                        static_cast<long long>(s.n_correct), s.accuracy,
                        static_cast<long long>(s.n_errors), s.pass1_s, s.pass2_s, s.pass_ratio,
                        static_cast<long long>(s.prompt_tokens),
                        static_cast<long long>(s.generated_tokens), s.tokens_per_s);
    }
  }
  return out;
}

}  // namespace t2::adapt
