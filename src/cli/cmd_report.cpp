// `t2 report`: summary tables of one or several HDF5 reports (accuracy, n, errors, pass times),
// side by side per task, as aligned text or CSV; or (--samples) every per-sample record, for diffing
// runs. Reading and rendering live in io/report*.
#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "io/report.h"
#include "io/report_table.h"

namespace t2::cli {

namespace {

int print_samples(const std::vector<std::string>& paths) {
  auto q = [](const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::printf("report\ttask\tindex\tid\tlabel\texpert\tcorrect\tstatus\tprompt_tokens\t"
              "generated_tokens\tprediction\ttext\n");
  for (const auto& f : paths) {
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

}  // namespace

int run_report(int argc, char** argv) {
  po::options_description desc("t2 report");
  std::vector<std::string> paths;
  std::string fmt = "text";
  bool csv = false, samples = false;
  desc.add_options()("report", po::value(&paths)->composing(),
                     "report file(s) written by t2 (HDF5); also given without --report")(
      "format", po::value(&fmt)->default_value(fmt), "output format: text or csv")(
      "csv", po::bool_switch(&csv), "same as --format csv")(
      "samples", po::bool_switch(&samples),
      "print every per-sample record instead (tab-separated, sorted by task and index; text fields "
      "as JSON strings; no timings), e.g. to diff runs");
  po::positional_options_description pos;
  pos.add("report", -1);
  if (parse_options("t2 report REPORT.h5 [REPORT.h5 ...] [--format text|csv | --csv | --samples]", desc, argc, argv,
                    &pos)
          .help)
    return 0;
  T2_CHECK(!paths.empty(), "no report given (usage: t2 report REPORT.h5 [REPORT.h5 ...])");
  if (csv) fmt = "csv";
  if (samples) return print_samples(paths);
  T2_CHECK(fmt == "text" || fmt == "csv", "--format must be text or csv, found '%s'", fmt.c_str());
  std::vector<std::pair<std::string, io::ReportData>> reports;
  for (const auto& p : paths) reports.emplace_back(p, io::read_report(p));
  const std::string table = io::render_summary_table(
      reports, fmt == "csv" ? io::TableFormat::csv : io::TableFormat::text);
  std::fputs(table.c_str(), stdout);
  return 0;
}

}  // namespace t2::cli
