// Internal to the report: the HDF5 side of the schema (docs/report.md) — run attributes, the
// per-task sample columns, summaries — and the reader. ReportWriter (report.cpp) adds the journal,
// exactly-once bookkeeping and resume on top. Not for use outside src/io/report*.
#pragma once

#include <string>
#include <vector>

#include "io/h5.h"
#include "io/report.h"

namespace t2::io::report_h5 {

// Open handles of one task's columns, in schema order. Kept open for the whole run: reopening a
// dataset per commit would evict and re-read its chunk every time.
using Table = std::vector<h5::Dataset>;

void write_run_attrs(h5::File& f, const RunInfo& run, int64_t n_segments, RunStatus status,
                     const std::string& end_time);
// Creates the task's sample columns when missing and opens them.
Table open_table(h5::File& f, const std::string& task);
void append_rows(Table& t, const std::vector<const SampleRecord*>& rows);
// (Re)writes the task's summary attributes and by_label table.
void write_summary(h5::File& f, const std::string& task, const TaskSummary& s);
// Splits on sep; "" gives no parts.
std::vector<std::string> split_text(const std::string& s, char sep);

}  // namespace t2::io::report_h5
