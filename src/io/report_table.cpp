// Rendering of report summary tables (text and CSV).
#include "io/report_table.h"

#include <algorithm>
#include <set>

#include "base/error.h"
#include "io/report_h5.h"  // split_text

namespace t2::io {
namespace {

const char* const kHeader[] = {"task",         "report",       "status",     "n",
                               "accuracy",     "errors",       "pass1_wall_s", "pass2_wall_s",
                               "pass_ratio",   "adapt_s",      "vision_s",   "tokens_per_s",
                               "strategy"};
constexpr std::size_t kStrategyColumn = std::size(kHeader) - 1;

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string strategy_of(const ReportData& report, const std::vector<SampleRecord>& rows) {
  for (const auto& line : report_h5::split_text(report.run.config, '\n')) {
    const std::string key = "strategy = ";
    if (line.rfind(key, 0) != 0) continue;
    const std::string v = line.substr(key.size());
    if (v == "prompt" || v == "classifier") return v;
  }
  std::set<std::string> experts;
  for (const auto& r : rows) experts.insert(r.expert);
  std::string out;
  for (const auto& e : experts) {
    const bool named = e == "base" || e.empty() || e.rfind("mixture:", 0) == 0;
    out += (out.empty() ? "" : ",") + (named ? (e.empty() ? std::string("?") : e) : "expert:" + e);
  }
  return out;
}

std::string render_summary_table(const std::vector<std::pair<std::string, ReportData>>& reports,
                                 TableFormat table_format) {
  std::set<std::string> tasks;
  for (const auto& [name, d] : reports)
    for (const auto& [task, rows] : d.tasks) tasks.insert(task);
  std::vector<std::vector<std::string>> table;
  table.emplace_back(std::begin(kHeader), std::end(kHeader));
  for (const auto& task : tasks) {
    for (const auto& [name, d] : reports) {
      const auto rows = d.tasks.find(task);
      if (rows == d.tasks.end()) continue;
      const auto stored = d.summaries.find(task);
      const TaskSummary s = stored != d.summaries.end() ? stored->second : summarize(rows->second);
      table.push_back({task, name, d.status, std::to_string(s.n), format("%.4f", s.accuracy),
                       std::to_string(s.n_errors), format("%.3f", s.pass1_wall_s),
                       format("%.3f", s.pass2_wall_s), format("%.4f", s.pass_ratio),
                       format("%.3f", s.adapt_s), format("%.3f", s.vision_s),
                       format("%.1f", s.tokens_per_s),
                       strategy_of(d, rows->second)});
    }
  }
  std::string out;
  if (table_format == TableFormat::csv) {
    for (const auto& row : table) {
      for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + csv_field(row[i]);
      out += "\n";
    }
    return out;
  }
  std::vector<std::size_t> width(std::size(kHeader), 0);
  for (const auto& row : table)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  for (const auto& row : table) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      // Text columns left-aligned, numbers right-aligned.
      const std::string pad(width[i] - row[i].size(), ' ');
      const bool text = i < 3 || i == kStrategyColumn;
      line += (i ? "  " : "") + (text ? row[i] + pad : pad + row[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace t2::io
