// Text and CSV tables of evaluation summaries (`t2 report`, and the end of `t2 eval`): per task
// one row per report (n, correct, accuracy, errors, pass times and their ratio, tokens/s), then an
// accuracy matrix task × report when several reports are compared. Pure formatting: reading the
// HDF5 file is io/report.h's job.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "io/report_record.h"

namespace t2::adapt {

// One column source: a report's display name and its per-task summaries.
using NamedSummaries = std::pair<std::string, std::map<std::string, io::TaskSummary>>;

std::string format_summary_table(const std::vector<NamedSummaries>& reports);
// Header line then one line per (task, report); RFC 4180 quoting of text fields.
std::string format_summary_csv(const std::vector<NamedSummaries>& reports);

}  // namespace t2::adapt
