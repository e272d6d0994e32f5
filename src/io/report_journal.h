// The report's crash journal: an append-only file next to the report (REPORT.h5.journal) that is
// the durable truth while a run is in progress. Each committed unit is one frame, written (and
// by default fdatasync'ed) before the coordinator moves on, so a kill -9 at any moment loses at most
// the frame being written; that torn tail is detected (length and CRC-32) and cut off when the journal is reopened.
// HDF5 makes no such promise for a file whose writer died mid-flush, which is why resume rebuilds
// the report from the journal (docs/report.md). Single writer; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/report_record.h"

namespace t2::io {

struct JournalContents {
  RunInfo run;                        // from the first frame
  int64_t n_segments = 1;             // run frames seen (1 + number of resumes)
  std::vector<SampleRecord> records;  // every committed record, in commit order
  int64_t valid_bytes = 0;            // length of the intact prefix
  int64_t torn_bytes = 0;             // bytes after it (an interrupted last write)
};

// Reads a journal. Throws t2::Error when the file is missing, is not a journal, or its first frame
// (the run information) is damaged; a damaged tail is reported in torn_bytes, not thrown.
JournalContents read_journal(const std::string& path);

// True when path is a readable file starting with the journal header (T2JOURNAL1).
bool is_journal(const std::string& path);

// fsyncs the directory holding path, so that a file created or renamed there survives a node crash.
void sync_parent_dir(const std::string& path);

class Journal {
 public:
  // Creates (truncating) a journal whose first frame records the run.
  static Journal create(const std::string& path, const RunInfo& run);
  // Opens an existing journal for appending after its intact prefix of valid_bytes (the torn tail,
  // if any, is truncated away) and records a new run segment.
  static Journal append_to(const std::string& path, int64_t valid_bytes, const RunInfo& run);

  Journal() = default;
  ~Journal();
  Journal(Journal&& other) noexcept;
  Journal& operator=(Journal&& other) noexcept;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends one frame holding these records. With sync (the default) it is fdatasync'ed before
  // return and survives a node crash; without, it survives the death of the process only.
  void commit(const std::vector<SampleRecord>& records, bool sync = true);
  void sync();
  void close();
  const std::string& path() const { return path_; }

 private:
  Journal(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  void write_frame(char type, const std::string& body, bool sync = true);
  int fd_ = -1;
  std::string path_;
};

}  // namespace t2::io
