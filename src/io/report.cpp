// ReportWriter: the crash journal, exactly-once bookkeeping, resume (rebuild by temp + rename) and
// publishing; the HDF5 schema itself is written by report_h5.cpp.
#include "io/report.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <unordered_set>

#include "base/error.h"
#include "base/log.h"
#include "base/timer.h"
#include "io/file.h"
#include "io/file_kind.h"
#include "io/h5.h"
#include "io/report_h5.h"
#include "io/report_journal.h"

namespace t2::io {
namespace {

using report_h5::Table;
using report_h5::append_rows;
using report_h5::open_table;
using report_h5::write_run_attrs;
using report_h5::write_summary;

void check_task_name(const std::string& task) {
  T2_CHECK(!task.empty() && task.find('/') == std::string::npos && task != "." && task != "..",
           "report: task name '%s' cannot name an HDF5 group (empty, '/', '.' or '..')",
           task.c_str());
}

// HDF5 variable-length strings end at the first NUL; replace NULs by U+FFFD before committing so
// the journal and the report hold the same text.
void sanitize(SampleRecord& r) {
  for (std::string* s : {&r.id, &r.label, &r.expert, &r.prediction, &r.status, &r.text}) {
    std::size_t p;
    while ((p = s->find('\0')) != std::string::npos) s->replace(p, 1, "\xEF\xBF\xBD");
  }
}

void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  T2_CHECK(fd >= 0, "cannot open '%s' to sync it: %s", path.c_str(), std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  T2_CHECK(rc == 0, "cannot sync '%s': %s", path.c_str(), std::strerror(errno));
}

void rename_over(const std::string& from, const std::string& to) {
  T2_CHECK(::rename(from.c_str(), to.c_str()) == 0, "cannot rename '%s' to '%s': %s",
           from.c_str(), to.c_str(), std::strerror(errno));
  sync_parent_dir(to);
}

// The first input whose fingerprint differs between the run that started a report and this one,
// in words naming the file when known; "" when all agree.
std::string changed_input(const RunInfo& then, const RunInfo& now,
                          const std::map<std::string, std::string>& inputs) {
  std::set<std::string> keys;
  for (const auto& [k, v] : then.fingerprints) keys.insert(k);
  for (const auto& [k, v] : now.fingerprints) keys.insert(k);
  for (const auto& key : keys) {
    const auto a = then.fingerprints.find(key), b = now.fingerprints.find(key);
    const std::string was = a == then.fingerprints.end() ? "none" : a->second;
    const std::string is = b == now.fingerprints.end() ? "none" : b->second;
    if (was == is) continue;
    const auto file = inputs.find(key);
    return format("input '%s'%s changed since the run started (fingerprint %s then, %s now)",
                  key.c_str(), file == inputs.end() ? "" : (" (" + file->second + ")").c_str(),
                  was.c_str(), is.c_str());
  }
  return "";
}

// --out must name a report file; --overwrite replaces only what t2 wrote as a report (or a damaged
// report next to its journal), never an expert, an SVD store or a foreign file given by mistake.
void check_out_path(const std::string& path, bool overwrite) {
  const std::string jpath = journal_path(path);
  const std::string problem = file_problem(path);
  T2_CHECK(problem.empty() || problem == "no such file", "report '%s': %s", path.c_str(),
           problem.c_str());
  if (!overwrite) {
    T2_CHECK(!file_exists(path) && !file_exists(jpath),
             "report '%s' (or its journal) already exists: continue it with --resume, or remove it "
             "(or pass --overwrite) to start over", path.c_str());
    return;
  }
  T2_CHECK(!file_exists(jpath) || is_journal(jpath),
           "--overwrite: '%s' is not a t2 report journal; refusing to replace it", jpath.c_str());
  if (file_exists(path) && t2_format(path) != "t2-report" && !file_exists(jpath)) {
    T2_FAIL("--overwrite: '%s' is %s, not a t2 report; refusing to replace it (choose another "
            "--out)", path.c_str(), describe_path(path).c_str());
  }
}

std::string first_difference(const std::string& a, const std::string& b) {
  const auto la = report_h5::split_text(a, '\n'), lb = report_h5::split_text(b, '\n');
  for (std::size_t i = 0; i < std::max(la.size(), lb.size()); ++i) {
    const std::string x = i < la.size() ? la[i] : "<end>", y = i < lb.size() ? lb[i] : "<end>";
    if (x != y) return format("line %zu: report has '%s', this run has '%s'", i + 1, x.c_str(), y.c_str());
  }
  return "no line differs";
}

}  // namespace

const char* run_status_name(RunStatus s) {
  switch (s) {
    case RunStatus::running: return "running";
    case RunStatus::complete: return "complete";
    case RunStatus::interrupted: return "interrupted";
    case RunStatus::failed: return "failed";
  }
  return "unknown";
}

std::string journal_path(const std::string& report_path) { return report_path + ".journal"; }


struct ReportWriter::Impl {
  std::string path;
  RunInfo run;
  int64_t n_segments = 1;
  h5::File file;
  Journal journal;
  std::map<std::string, TaskSummary> sums;
  std::map<std::string, std::unordered_set<int64_t>> committed;
  bool open = false;
  ReportOptions options;
  Timer since_sync;
  std::map<std::string, Table> tables;

  // After a failed write: no more commits. lost_h5: the HDF5 file was removed (it may be damaged).
  bool stopped = false;
  bool lost_h5 = false;

  void add(const SampleRecord& r) {
    committed[r.task].insert(r.index);
    accumulate(sums[r.task], r);
  }
  int64_t n_committed() const {
    int64_t n = 0;
    for (const auto& [task, s] : committed) n += static_cast<int64_t>(s.size());
    return n;
  }
  // An HDF5 write failed (a full disk): drop the file, which HDF5 may have left half written, so
  // that no reader takes it for a result; the journal still holds every commit.
  [[noreturn]] void lose_h5(const std::string& why) {
    stopped = lost_h5 = true;
    tables.clear();
    file.close();
    std::remove(path.c_str());
    T2_FAIL("report '%s': cannot write it (%s); the file was removed so that nothing reads a "
            "damaged report. The %lld samples committed so far are safe in %s: free space and "
            "rerun with --resume", path.c_str(), why.c_str(), static_cast<long long>(n_committed()),
            journal_path(path).c_str());
  }
  void write_summaries(h5::File& f) const {
    for (auto [task, s] : sums) {
      finalize(s);
      write_summary(f, task, s);
    }
  }
};

ReportWriter::ReportWriter() = default;
ReportWriter::~ReportWriter() = default;
ReportWriter::ReportWriter(ReportWriter&&) noexcept = default;
ReportWriter& ReportWriter::operator=(ReportWriter&&) noexcept = default;

ReportWriter ReportWriter::create(const std::string& path, const RunInfo& run,
                                  const ReportOptions& options) {
  const std::string jpath = journal_path(path);
  check_out_path(path, options.overwrite);
  ReportWriter w;
  w.impl_ = std::make_unique<Impl>();
  Impl& m = *w.impl_;
  m.path = path;
  m.run = run;
  m.options = options;
  try {
    m.journal = Journal::create(jpath, run);
    m.file = h5::File::create(path);
    write_run_attrs(m.file, run, 1, RunStatus::running, "");
    m.file.flush();
  } catch (const Error& e) {  // nothing committed yet: leave nothing behind
    m.file.close();
    m.journal.close();
    std::remove(path.c_str());
    std::remove(jpath.c_str());
    T2_FAIL("cannot start report '%s': %s", path.c_str(), e.what());
  }
  m.open = true;
  return w;
}

ReportWriter ReportWriter::resume(const std::string& path, const RunInfo& run,
                                  const ReportOptions& options) {
  const std::string jpath = journal_path(path);
  RunInfo original;
  int64_t n_segments = 1;
  std::vector<SampleRecord> records;
  bool have_journal = file_exists(jpath);
  int64_t valid_bytes = 0;
  if (have_journal) {
    JournalContents j = read_journal(jpath);
    if (j.torn_bytes > 0)
      T2_LOG_WARN("journal '%s': dropping %lld bytes of an interrupted last write", jpath.c_str(),
                  static_cast<long long>(j.torn_bytes));
    original = j.run;
    n_segments = j.n_segments;
    records = std::move(j.records);
    valid_bytes = j.valid_bytes;
  } else {
    T2_CHECK(file_exists(path), "--resume: neither report '%s' nor its journal exists; start the "
             "run without --resume", path.c_str());
    ReportData d = read_report(path);
    original = d.run;
    n_segments = d.n_segments;
    for (auto& [task, rows] : d.tasks)
      for (auto& r : rows) records.push_back(std::move(r));
  }
  T2_CHECK(original.command == run.command,
           "--resume: report '%s' was written by '%s', not '%s'", path.c_str(),
           original.command.c_str(), run.command.c_str());
  T2_CHECK(original.config == run.config,
           "--resume: the configuration differs from the one report '%s' was started with (%s); "
           "resume with the same options or start a new report",
           path.c_str(), first_difference(original.config, run.config).c_str());
  const std::string changed = changed_input(original, run, options.inputs);
  T2_CHECK(changed.empty(),
           "--resume: report '%s': %s; its committed samples came from the old input, so "
           "resuming would mix the two. Restore the input, or start a new report",
           path.c_str(), changed.c_str());

  ReportWriter w;
  w.impl_ = std::make_unique<Impl>();
  Impl& m = *w.impl_;
  m.path = path;
  m.run = run;
  m.options = options;
  m.run.start_time = original.start_time;
  m.n_segments = n_segments + 1;
  // Exactly once: a record seen twice (impossible unless files were edited) is dropped, with a warning.
  std::vector<SampleRecord> unique;
  for (auto& r : records) {
    if (m.committed[r.task].count(r.index)) {
      T2_LOG_WARN("report '%s': sample %s/%lld appears twice; keeping the first", path.c_str(),
                  r.task.c_str(), static_cast<long long>(r.index));
      continue;
    }
    m.add(r);
    unique.push_back(std::move(r));
  }
  if (!have_journal) {
    // Make the journal first (temp + rename) so a crash during the rebuild loses nothing.
    const std::string tmp = jpath + ".tmp";
    {
      Journal j = Journal::create(tmp, original);
      j.commit(unique);
    }
    rename_over(tmp, jpath);
    valid_bytes = static_cast<int64_t>(std::filesystem::file_size(jpath));
  }
  // Rebuild the report from the committed records, then publish it atomically.
  const std::string tmp = path + ".rebuild.tmp";
  try {
    {
      h5::File f = h5::File::create(tmp);
      write_run_attrs(f, m.run, m.n_segments, RunStatus::running, "");
      std::map<std::string, std::vector<const SampleRecord*>> by_task;
      for (const auto& r : unique) by_task[r.task].push_back(&r);
      for (const auto& [task, rows] : by_task) {
        Table t = open_table(f, task);
        append_rows(t, rows);
      }
      m.write_summaries(f);
      f.flush();
    }
    fsync_path(tmp);
  } catch (const Error& e) {
    std::remove(tmp.c_str());
    T2_FAIL("--resume: cannot rebuild report '%s' from its journal (%s); the journal is "
            "unchanged: free space and try again", path.c_str(), e.what());
  }
  rename_over(tmp, path);
  m.file = h5::File::open(path, h5::Mode::read_write);
  m.journal = Journal::append_to(jpath, valid_bytes, m.run);
  m.open = true;
  T2_LOG_INFO("resuming report '%s': %zu samples already committed (segment %lld)", path.c_str(),
              unique.size(), static_cast<long long>(m.n_segments));
  return w;
}

bool ReportWriter::is_committed(const std::string& task, int64_t index) const {
  const auto it = impl_->committed.find(task);
  return it != impl_->committed.end() && it->second.count(index) > 0;
}

int64_t ReportWriter::n_committed() const { return impl_->n_committed(); }

std::map<std::string, TaskSummary> ReportWriter::summaries() const {
  auto out = impl_->sums;
  for (auto& [task, s] : out) finalize(s);
  return out;
}

void ReportWriter::commit(const std::vector<SampleRecord>& input) {
  T2_CHECK(impl_ && impl_->open, "report: commit after finish");
  Impl& m = *impl_;
  T2_CHECK(!m.stopped, "report '%s': no commits after a failed write", m.path.c_str());
  std::vector<SampleRecord> records = input;
  std::map<std::string, std::unordered_set<int64_t>> batch;
  for (auto& r : records) {
    check_task_name(r.task);
    T2_CHECK(r.index >= 0, "report: sample index %lld of task '%s' is negative",
             static_cast<long long>(r.index), r.task.c_str());
    T2_CHECK(!is_committed(r.task, r.index) && batch[r.task].insert(r.index).second,
             "report: sample %s/%lld committed twice (exactly-once violated)", r.task.c_str(),
             static_cast<long long>(r.index));
    sanitize(r);
  }
  const bool sync = m.options.sync_interval_s <= 0 ||
                    m.since_sync.seconds() >= m.options.sync_interval_s;
  try {
    m.journal.commit(records, sync);
  } catch (const Error& e) {  // a torn frame may follow the intact ones: append nothing after it
    m.stopped = true;
    T2_FAIL("%s. The %lld samples committed before are safe in it (--resume cuts off the torn "
            "last write): free space and rerun with --resume", e.what(),
            static_cast<long long>(m.n_committed()));
  }
  if (sync) m.since_sync.reset();
  std::map<std::string, std::vector<const SampleRecord*>> by_task;
  for (const auto& r : records) {
    by_task[r.task].push_back(&r);
    m.add(r);
  }
  try {
    for (const auto& [task, rows] : by_task) {
      auto it = m.tables.find(task);
      if (it == m.tables.end()) it = m.tables.emplace(task, open_table(m.file, task)).first;
      append_rows(it->second, rows);
    }
    m.file.flush();
  } catch (const Error& e) {
    m.lose_h5(e.what());
  }
}

void ReportWriter::finish(RunStatus status) {
  T2_CHECK(impl_ && impl_->open, "report: finish called twice");
  Impl& m = *impl_;
  m.open = false;
  if (!m.lost_h5) {
    try {
      m.write_summaries(m.file);
      write_run_attrs(m.file, m.run, m.n_segments, status, utc_now_iso8601());
      m.file.flush();
      m.tables.clear();
      m.file.close();
      fsync_path(m.path);
    } catch (const Error& e) {
      m.journal.close();
      m.lose_h5(e.what());
    }
  }
  if (m.stopped) {  // the journal is what --resume continues from; keep it as it is
    m.journal.close();
    return;
  }
  m.journal.sync();
  m.journal.close();
  if (status == RunStatus::complete) std::remove(journal_path(m.path).c_str());
}

}  // namespace t2::io
