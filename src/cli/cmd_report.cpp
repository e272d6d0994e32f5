// `t2 report`: summary tables of one or several HDF5 reports (accuracy, n, errors, pass times),
// side by side per task, as aligned text or CSV. Reading and rendering live in io/report*.
#include <cstdio>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "io/report.h"
#include "io/report_table.h"

namespace t2::cli {

int run_report(int argc, char** argv) {
  po::options_description desc("t2 report");
  std::vector<std::string> paths;
  std::string fmt = "text";
  desc.add_options()("report", po::value(&paths)->composing(),
                     "report file(s) written by t2 (HDF5); also given without --report")(
      "format", po::value(&fmt)->default_value(fmt), "output format: text or csv");
  po::positional_options_description pos;
  pos.add("report", -1);
  if (parse_options("t2 report REPORT.h5 [REPORT.h5 ...] [--format text|csv]", desc, argc, argv,
                    &pos)
          .help)
    return 0;
  T2_CHECK(!paths.empty(), "no report given (usage: t2 report REPORT.h5 [REPORT.h5 ...])");
  T2_CHECK(fmt == "text" || fmt == "csv", "--format must be text or csv, found '%s'", fmt.c_str());
  std::vector<std::pair<std::string, io::ReportData>> reports;
  for (const auto& p : paths) reports.emplace_back(p, io::read_report(p));
  const std::string table = io::render_summary_table(
      reports, fmt == "csv" ? io::TableFormat::csv : io::TableFormat::text);
  std::fputs(table.c_str(), stdout);
  return 0;
}

}  // namespace t2::cli
