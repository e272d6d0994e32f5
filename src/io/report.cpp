// Report writer and reader over the HDF5 layer (io/h5.h) plus the crash journal. The column list
// below is the schema of a task's sample table; docs/report.md documents it and the round-trip test
// pins it.
#include "io/report.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <unordered_set>

#include "base/error.h"
#include "base/log.h"
#include "io/file.h"
#include "io/h5.h"
#include "io/report_journal.h"

namespace t2::io {
namespace {

constexpr int64_t kChunkRows = 1024;

// Columns of /tasks/<task>/samples, in schema order.
enum class Col { index, id, label, expert, prediction, correct, status, prompt_tokens,
                 generated_tokens, pass1_s, pass2_s, text };
struct Column {
  const char* name;
  h5::DType type;
};
constexpr Column kColumns[] = {
    {"index", h5::DType::i64},        {"id", h5::DType::string},
    {"label", h5::DType::string},     {"expert", h5::DType::string},
    {"prediction", h5::DType::string}, {"correct", h5::DType::i32},
    {"status", h5::DType::string},    {"prompt_tokens", h5::DType::i32},
    {"generated_tokens", h5::DType::i32}, {"pass1_s", h5::DType::f64},
    {"pass2_s", h5::DType::f64},      {"text", h5::DType::string},
};

std::string join(const std::vector<std::string>& parts, char sep) {
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? std::string(1, sep) : "") + parts[i];
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  if (s.empty()) return out;
  for (;;) {
    const std::size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

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
}

void write_run_attrs(h5::File& f, const RunInfo& run, int64_t n_segments, RunStatus status,
                     const std::string& end_time) {
  f.set_attr("schema", "t2-report");
  f.set_attr("schema_version", kReportSchemaVersion);
  f.set_attr("command", run.command);
  f.set_attr("config", run.config);
  f.set_attr("version", run.version);
  f.set_attr("git_revision", run.git_revision);
  f.set_attr("world_size", run.world_size);
  f.set_attr("tp", run.tp);
  f.set_attr("hosts", join(run.hosts, ','));
  f.set_attr("start_time", run.start_time);
  f.set_attr("end_time", end_time);
  f.set_attr("status", run_status_name(status));
  f.set_attr("n_segments", n_segments);
  h5::Group fp = f.require_group("fingerprints");
  for (const auto& [k, v] : run.fingerprints) fp.set_attr(k, v);
}

void ensure_tables(h5::File& f, const std::string& task) {
  const std::string base = "tasks/" + task + "/samples";
  if (f.has_group(base)) return;
  h5::Group g = f.create_group(base);
  h5::DatasetOptions opt;
  opt.extendible = true;
  opt.chunk = {kChunkRows};
  for (const auto& c : kColumns) g.create_dataset(c.name, c.type, {0}, opt);
}

template <class T, class Get>
void append_num(h5::Group& g, const char* col, const std::vector<const SampleRecord*>& rows, Get get) {
  std::vector<T> v;
  v.reserve(rows.size());
  for (const auto* r : rows) v.push_back(static_cast<T>(get(*r)));
  g.dataset(col).append(std::span<const T>(v));
}

template <class Get>
void append_str(h5::Group& g, const char* col, const std::vector<const SampleRecord*>& rows, Get get) {
  std::vector<std::string> v;
  v.reserve(rows.size());
  for (const auto* r : rows) v.push_back(get(*r));
  g.dataset(col).append(v);
}

void append_rows(h5::File& f, const std::string& task, const std::vector<const SampleRecord*>& rows) {
  ensure_tables(f, task);
  h5::Group g = f.group("tasks/" + task + "/samples");
  append_num<int64_t>(g, "index", rows, [](const SampleRecord& r) { return r.index; });
  append_str(g, "id", rows, [](const SampleRecord& r) { return r.id; });
  append_str(g, "label", rows, [](const SampleRecord& r) { return r.label; });
  append_str(g, "expert", rows, [](const SampleRecord& r) { return r.expert; });
  append_str(g, "prediction", rows, [](const SampleRecord& r) { return r.prediction; });
  append_num<int32_t>(g, "correct", rows, [](const SampleRecord& r) { return r.correct ? 1 : 0; });
  append_str(g, "status", rows, [](const SampleRecord& r) { return r.status; });
  append_num<int32_t>(g, "prompt_tokens", rows, [](const SampleRecord& r) { return r.prompt_tokens; });
  append_num<int32_t>(g, "generated_tokens", rows,
                      [](const SampleRecord& r) { return r.generated_tokens; });
  append_num<double>(g, "pass1_s", rows, [](const SampleRecord& r) { return r.pass1_s; });
  append_num<double>(g, "pass2_s", rows, [](const SampleRecord& r) { return r.pass2_s; });
  append_str(g, "text", rows, [](const SampleRecord& r) { return r.text; });
}

void write_summary(h5::File& f, const std::string& task, const TaskSummary& s) {
  ensure_tables(f, task);
  h5::Group g = f.group("tasks/" + task);
  g.set_attr("n", s.n);
  g.set_attr("n_correct", s.n_correct);
  g.set_attr("n_errors", s.n_errors);
  g.set_attr("accuracy", s.accuracy);
  g.set_attr("pass1_s", s.pass1_s);
  g.set_attr("pass2_s", s.pass2_s);
  g.set_attr("pass_ratio", s.pass_ratio);
  g.set_attr("prompt_tokens", s.prompt_tokens);
  g.set_attr("generated_tokens", s.generated_tokens);
  g.set_attr("tokens_per_s", s.tokens_per_s);
  if (g.has("by_label")) g.remove("by_label");
  h5::Group b = g.create_group("by_label");
  std::vector<std::string> labels;
  std::vector<int64_t> n, n_correct;
  std::vector<double> acc;
  for (const auto& [label, l] : s.by_label) {
    labels.push_back(label);
    n.push_back(l.n);
    n_correct.push_back(l.n_correct);
    acc.push_back(l.n > 0 ? static_cast<double>(l.n_correct) / static_cast<double>(l.n) : 0.0);
  }
  b.write_strings("label", labels);
  b.write("n", std::span<const int64_t>(n));
  b.write("n_correct", std::span<const int64_t>(n_correct));
  b.write("accuracy", std::span<const double>(acc));
}

std::string first_difference(const std::string& a, const std::string& b) {
  const auto la = split(a, '\n'), lb = split(b, '\n');
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

ReportData read_report(const std::string& path) {
  h5::File f = h5::File::open(path);
  T2_CHECK(f.has_attr("schema") && f.attr_string("schema") == "t2-report",
           "'%s' is an HDF5 file but not a t2 report (no schema = t2-report attribute)", path.c_str());
  const int64_t version = f.attr_i64("schema_version");
  T2_CHECK(version == kReportSchemaVersion,
           "'%s' has report schema version %lld; this t2 reads version %d", path.c_str(),
           static_cast<long long>(version), kReportSchemaVersion);
  ReportData d;
  d.run.command = f.attr_string("command");
  d.run.config = f.attr_string("config");
  d.run.version = f.attr_string("version");
  d.run.git_revision = f.attr_string("git_revision");
  d.run.world_size = static_cast<int>(f.attr_i64("world_size"));
  d.run.tp = static_cast<int>(f.attr_i64("tp"));
  d.run.hosts = split(f.attr_string("hosts"), ',');
  d.run.start_time = f.attr_string("start_time");
  d.end_time = f.attr_string("end_time");
  d.status = f.attr_string("status");
  d.n_segments = f.attr_i64("n_segments");
  if (f.has_group("fingerprints")) {
    const h5::Group fp = f.group("fingerprints");
    for (const auto& k : fp.attr_names()) d.run.fingerprints[k] = fp.attr_string(k);
  }
  if (!f.has_group("tasks")) return d;
  const h5::Group tasks = f.group("tasks");
  for (const auto& task : tasks.children()) {
    const h5::Group g = tasks.group(task + "/samples");
    const auto index = g.dataset("index").read_i64();
    const auto id = g.dataset("id").read_strings();
    const auto label = g.dataset("label").read_strings();
    const auto expert = g.dataset("expert").read_strings();
    const auto prediction = g.dataset("prediction").read_strings();
    const auto correct = g.dataset("correct").read_i32();
    const auto status = g.dataset("status").read_strings();
    const auto prompt_tokens = g.dataset("prompt_tokens").read_i32();
    const auto generated_tokens = g.dataset("generated_tokens").read_i32();
    const auto pass1 = g.dataset("pass1_s").read_f64();
    const auto pass2 = g.dataset("pass2_s").read_f64();
    const auto text = g.dataset("text").read_strings();
    const std::size_t n = index.size();
    for (std::size_t len : {id.size(), label.size(), expert.size(), prediction.size(), correct.size(),
                            status.size(), prompt_tokens.size(), generated_tokens.size(),
                            pass1.size(), pass2.size(), text.size()}) {
      T2_CHECK(len == n, "'%s': task '%s' has columns of different lengths (%zu and %zu rows); the "
               "file was damaged while being written — resume from its journal",
               path.c_str(), task.c_str(), n, len);
    }
    auto& rows = d.tasks[task];
    for (std::size_t i = 0; i < n; ++i) {
      rows.push_back(SampleRecord{task, index[i], id[i], label[i], expert[i], prediction[i],
                                  correct[i] != 0, status[i], prompt_tokens[i], generated_tokens[i],
                                  pass1[i], pass2[i], text[i]});
    }
    const h5::Group t = tasks.group(task);
    if (t.has_attr("n")) {
      TaskSummary s;
      s.n = t.attr_i64("n");
      s.n_correct = t.attr_i64("n_correct");
      s.n_errors = t.attr_i64("n_errors");
      s.accuracy = t.attr_f64("accuracy");
      s.pass1_s = t.attr_f64("pass1_s");
      s.pass2_s = t.attr_f64("pass2_s");
      s.pass_ratio = t.attr_f64("pass_ratio");
      s.prompt_tokens = t.attr_i64("prompt_tokens");
      s.generated_tokens = t.attr_i64("generated_tokens");
      s.tokens_per_s = t.attr_f64("tokens_per_s");
      const h5::Group b = t.group("by_label");
      const auto labels = b.dataset("label").read_strings();
      const auto ln = b.dataset("n").read_i64();
      const auto lc = b.dataset("n_correct").read_i64();
      for (std::size_t i = 0; i < labels.size() && i < ln.size() && i < lc.size(); ++i)
        s.by_label[labels[i]] = LabelSummary{ln[i], lc[i]};
      d.summaries[task] = s;
    }
  }
  return d;
}

struct ReportWriter::Impl {
  std::string path;
  RunInfo run;
  int64_t n_segments = 1;
  h5::File file;
  Journal journal;
  std::map<std::string, TaskSummary> sums;
  std::map<std::string, std::unordered_set<int64_t>> committed;
  bool open = false;

  void add(const SampleRecord& r) {
    committed[r.task].insert(r.index);
    accumulate(sums[r.task], r);
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

ReportWriter ReportWriter::create(const std::string& path, const RunInfo& run, bool overwrite) {
  const std::string jpath = journal_path(path);
  if (!overwrite) {
    T2_CHECK(!file_exists(path) && !file_exists(jpath),
             "report '%s' (or its journal) already exists: continue it with --resume, or remove it "
             "to start over", path.c_str());
  }
  ReportWriter w;
  w.impl_ = std::make_unique<Impl>();
  Impl& m = *w.impl_;
  m.path = path;
  m.run = run;
  m.journal = Journal::create(jpath, run);
  m.file = h5::File::create(path);
  write_run_attrs(m.file, run, 1, RunStatus::running, "");
  m.file.flush();
  m.open = true;
  return w;
}

ReportWriter ReportWriter::resume(const std::string& path, const RunInfo& run) {
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

  ReportWriter w;
  w.impl_ = std::make_unique<Impl>();
  Impl& m = *w.impl_;
  m.path = path;
  m.run = run;
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
  {
    h5::File f = h5::File::create(tmp);
    write_run_attrs(f, m.run, m.n_segments, RunStatus::running, "");
    std::map<std::string, std::vector<const SampleRecord*>> by_task;
    for (const auto& r : unique) by_task[r.task].push_back(&r);
    for (const auto& [task, rows] : by_task) append_rows(f, task, rows);
    m.write_summaries(f);
    f.flush();
  }
  fsync_path(tmp);
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

int64_t ReportWriter::n_committed() const {
  int64_t n = 0;
  for (const auto& [task, s] : impl_->committed) n += static_cast<int64_t>(s.size());
  return n;
}

std::map<std::string, TaskSummary> ReportWriter::summaries() const {
  auto out = impl_->sums;
  for (auto& [task, s] : out) finalize(s);
  return out;
}

void ReportWriter::commit(const std::vector<SampleRecord>& input) {
  T2_CHECK(impl_ && impl_->open, "report: commit after finish");
  Impl& m = *impl_;
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
  m.journal.commit(records);
  std::map<std::string, std::vector<const SampleRecord*>> by_task;
  for (const auto& r : records) {
    by_task[r.task].push_back(&r);
    m.add(r);
  }
  for (const auto& [task, rows] : by_task) append_rows(m.file, task, rows);
  m.file.flush();
}

void ReportWriter::finish(RunStatus status) {
  T2_CHECK(impl_ && impl_->open, "report: finish called twice");
  Impl& m = *impl_;
  m.write_summaries(m.file);
  write_run_attrs(m.file, m.run, m.n_segments, status, utc_now_iso8601());
  m.file.flush();
  m.file.close();
  m.open = false;
  fsync_path(m.path);
  m.journal.close();
  if (status == RunStatus::complete) std::remove(journal_path(m.path).c_str());
}

}  // namespace t2::io
