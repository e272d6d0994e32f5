// Summary tables of one or several reports, for `t2 report`: one row per (task, report), rows of the
// same task next to each other so that runs compare side by side, each naming its strategy (base,
// expert, mixture, dispatch) so that reports tell apart without their file names. Text (aligned
// columns) or CSV. Summaries come from the file, or are computed from the sample table when a
// report has none yet (a run still in progress).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "io/report.h"

namespace t2::io {

enum class TableFormat { text, csv };

// What adapted the model for a task's rows, for the `strategy` column: the two-pass strategy of
// the run's configuration (prompt, classifier), else the records' expert column: base,
// mixture:FILE or expert:NAME (several, comma-separated, when the rows differ).
std::string strategy_of(const ReportData& report, const std::vector<SampleRecord>& rows);

// reports: (name shown in the table, contents) in display order. Columns: task, report, status,
// n, accuracy, errors, pass1_s, pass2_s, pass_ratio, tokens_per_s, strategy.
std::string render_summary_table(const std::vector<std::pair<std::string, ReportData>>& reports,
                                 TableFormat table_format);

}  // namespace t2::io
