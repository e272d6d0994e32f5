// `t2 report`: per-task summary tables of one or several evaluation reports, side by side, as text
// or CSV. Summaries are recomputed from the per-sample records, so interrupted reports work too.
#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "adapt/report_table.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "io/report.h"

namespace t2::cli {

int run_report(int argc, char** argv) {
  std::vector<std::string> files;
  bool csv = false, samples = false;
  po::options_description desc("t2 report: summary tables of evaluation reports");
  desc.add_options()("report", po::value(&files)->composing(), "report file(s) (HDF5); also positional")(
      "csv", po::bool_switch(&csv), "print CSV instead of a text table")(
      "samples", po::bool_switch(&samples),
      "print every per-sample record (tab-separated; text fields as JSON strings; no timings) "
      "instead of tables, for diffing runs");
  po::positional_options_description pos;
  pos.add("report", -1);
  const auto parsed = parse_options("t2 report REPORT.h5 [REPORT2.h5 ...] [--csv]", desc, argc, argv, &pos);
  if (parsed.help) return 0;
  if (files.empty()) throw t2::Error("give at least one report file");
  if (samples) {
    auto q = [](const std::string& s) {
      return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    std::printf("report\ttask\tindex\tid\tlabel\texpert\tcorrect\tstatus\tprompt_tokens\t"
                "generated_tokens\tprediction\ttext\n");
    for (const auto& f : files) {
      const io::ReportData d = io::read_report(f);
      for (const auto& [task, recs] : d.tasks) {
        std::vector<const io::SampleRecord*> sorted;
        for (const auto& r : recs) sorted.push_back(&r);
        std::sort(sorted.begin(), sorted.end(),
                  [](const auto* a, const auto* b) { return a->index < b->index; });
        for (const auto* r : sorted)
          std::printf("%s\t%s\t%lld\t%s\t%s\t%s\t%d\t%s\t%d\t%d\t%s\t%s\n", f.c_str(),
                      task.c_str(), static_cast<long long>(r->index), q(r->id).c_str(),
                      r->label.c_str(), r->expert.c_str(), r->correct ? 1 : 0, q(r->status).c_str(),
                      r->prompt_tokens, r->generated_tokens, q(r->prediction).c_str(),
                      q(r->text).c_str());
      }
    }
    return 0;
  }
  std::vector<adapt::NamedSummaries> reports;
  for (const auto& f : files) {
    const io::ReportData d = io::read_report(f);
    std::map<std::string, io::TaskSummary> sums;
    for (const auto& [task, recs] : d.tasks) sums[task] = io::summarize(recs);
    if (d.status != "complete")
      std::fprintf(stderr, "t2 report: note: %s is %s (not complete)\n", f.c_str(), d.status.c_str());
    reports.emplace_back(f, std::move(sums));
  }
  std::fputs((csv ? adapt::format_summary_csv(reports) : adapt::format_summary_table(reports)).c_str(),
             stdout);
  return 0;
}

}  // namespace t2::cli
