// The HDF5 evaluation report (schema: docs/report.md) and its writer. Rank 0 is the only writer.
// While a run is in progress every commit goes first to the crash journal (REPORT.h5.journal,
// fsync'ed, the durable truth) and then to the HDF5 tables (flushed), so the .h5 file can be read
// live; a kill -9 may leave the .h5 file damaged but never the committed journal frames. Resume
// rebuilds both files from the journal (or, without one, from a cleanly closed report) by
// write-temp-then-rename, and then appends. finish() publishes summaries, the end time and the
// status; a complete run removes its journal.
//
// Cost: a commit is one journal write (+ fdatasync, see ReportOptions) plus one HDF5 append per
// column and a flush; commit a work unit's samples together rather than sample by sample.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/report_record.h"

namespace t2::io {

inline constexpr int kReportSchemaVersion = 2;
// Version 1 (before per-sample pass times): readable; its pass1_s/pass2_s columns were each
// sample's equal share of the batch, so they are read as pass*_wall_s and pass*_s is NaN.

enum class RunStatus { running, complete, interrupted, failed };
const char* run_status_name(RunStatus s);

// Everything a report holds, read back.
struct ReportData {
  RunInfo run;  // world_size, tp and hosts of the latest segment; start_time of the first
  std::string status;    // "running", "complete", "interrupted" or "failed"
  std::string end_time;  // "" while running
  int64_t n_segments = 1;
  std::map<std::string, std::vector<SampleRecord>> tasks;  // rows in commit order
  std::map<std::string, TaskSummary> summaries;            // as stored in the file
};

// Reads a report; throws t2::Error naming the file and object when it is not a t2 report, has an
// unknown schema version, or its tables are inconsistent.
ReportData read_report(const std::string& path);

// The journal path belonging to a report path.
std::string journal_path(const std::string& report_path);

struct ReportOptions {
  // create: replace an existing report and journal. Only a t2 report (or a damaged one next to
  // its journal) is replaced; any other file (an expert, an SVD store, ...) is refused, naming it.
  bool overwrite = false;
  // The file behind each fingerprint key of RunInfo::fingerprints ("data/gsm8k" -> the data
  // file), named in the message when --resume finds that an input changed. Not stored.
  std::map<std::string, std::string> inputs = {};
  // Journal durability. Every commit is written to the journal before commit() returns, which
  // survives the death of the process (kill -9, OOM, abort). fdatasync makes it survive a node
  // crash too: after every commit when 0, else at most this many seconds apart (a node crash may
  // then lose the last interval's units, which resume redoes; nothing is ever counted twice).
  double sync_interval_s = 0.0;
};

class ReportWriter {
 public:
  // Starts a new report. Refuses an existing report or journal unless options.overwrite.
  static ReportWriter create(const std::string& path, const RunInfo& run,
                             const ReportOptions& options = {});
  // Continues an interrupted run: committed records come from the journal when there is one (its
  // torn tail is dropped), else from the report itself. The configuration must equal the original
  // one (t2::Error shows the first differing line), and so must every input fingerprint (an edited
  // data file would mix old and new records); world size, tp and hosts may change.
  static ReportWriter resume(const std::string& path, const RunInfo& run,
                             const ReportOptions& options = {});

  ReportWriter();
  ~ReportWriter();
  ReportWriter(ReportWriter&&) noexcept;
  ReportWriter& operator=(ReportWriter&&) noexcept;

  bool is_committed(const std::string& task, int64_t index) const;
  int64_t n_committed() const;
  // Records committed by earlier segments (resume) and this one, per task, summarised.
  std::map<std::string, TaskSummary> summaries() const;

  // Makes the records durable (journal) and visible (HDF5). A record whose (task, index) is already
  // committed, or that appears twice in the list, throws before anything is written. A failed
  // write (a full disk) throws t2::Error saying what is safe: the journal keeps every commit that
  // returned; an HDF5 file that may be damaged is removed rather than left to be read as a result.
  void commit(const std::vector<SampleRecord>& records);
  // Writes summaries, end time and status, closes and syncs the file. complete removes the journal.
  // After a failed write it only closes the journal (which --resume continues from).
  void finish(RunStatus status);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace t2::io
