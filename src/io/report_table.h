// Summary tables of one or several reports, for `t2 report`: one row per (task, report), rows of the
// same task next to each other so that runs compare side by side. Text (aligned columns) or CSV.
// Summaries come from the file, or are computed from the sample table when a report has none yet
// (a run still in progress).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "io/report.h"

namespace t2::io {

enum class TableFormat { text, csv };

// reports: (name shown in the table, contents) in display order.
std::string render_summary_table(const std::vector<std::pair<std::string, ReportData>>& reports,
                                 TableFormat table_format);

}  // namespace t2::io
