// The HDF5 side of the report schema: writing run attributes, sample columns and summaries, and
// reading a report back. A task's sample table has one column per field of for_each_column
// (report_record.h), in that order; the summary attributes are listed in for_each_summary_attr.
#include "io/report_h5.h"

#include <hdf5.h>  // string appends with a small conversion buffer (append_strings)

#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>  // std::exchange

#include "base/error.h"

namespace t2::io::report_h5 {
namespace {

constexpr int64_t kChunkRows = 1024;

// The stored type of a column of record fields of type T (bool as 0/1).
template <class T>
using Stored = std::conditional_t<std::is_same_v<T, bool>, int32_t, T>;

template <class T>
h5::DType stored_dtype() {
  if constexpr (std::is_same_v<T, std::string>) return h5::DType::string;
  if constexpr (std::is_same_v<T, double>) return h5::DType::f64;
  if constexpr (std::is_same_v<T, int64_t>) return h5::DType::i64;
  return h5::DType::i32;
}

template <class T>
std::vector<Stored<T>> read_column(const h5::Dataset& d) {
  if constexpr (std::is_same_v<T, std::string>) return d.read_strings();
  if constexpr (std::is_same_v<T, double>) return d.read_f64();
  if constexpr (std::is_same_v<T, int64_t>) return d.read_i64();
  if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, bool>) return d.read_i32();
}

// Columns added to schema version 2 later (f64): a report written before them reads them as 0,
// and appending to it first fills them with zeros for the rows it already holds.
bool is_late_column(std::string_view name) { return name == "vision_s"; }
// Columns and summary attributes that schema version 1 does not have (read_report maps them).
bool is_v2_name(std::string_view name) {
  return name == "pass1_wall_s" || name == "pass2_wall_s" || name == "adapt_s";
}

// The scalar summary attributes of /tasks/<task>: f(name, pointer to the TaskSummary member).
template <class F>
void for_each_summary_attr(F&& f) {
  f("n", &TaskSummary::n);
  f("n_correct", &TaskSummary::n_correct);
  f("n_errors", &TaskSummary::n_errors);
  f("accuracy", &TaskSummary::accuracy);
  f("pass1_s", &TaskSummary::pass1_s);
  f("pass2_s", &TaskSummary::pass2_s);
  f("pass1_wall_s", &TaskSummary::pass1_wall_s);
  f("pass2_wall_s", &TaskSummary::pass2_wall_s);
  f("adapt_s", &TaskSummary::adapt_s);
  f("vision_s", &TaskSummary::vision_s);
  f("pass_ratio", &TaskSummary::pass_ratio);
  f("prompt_tokens", &TaskSummary::prompt_tokens);
  f("generated_tokens", &TaskSummary::generated_tokens);
  f("tokens_per_s", &TaskSummary::tokens_per_s);
}

std::string join(const std::vector<std::string>& parts, char sep) {
  std::string s;
  for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? std::string(1, sep) : "") + parts[i];
  return s;
}

}  // namespace

std::vector<std::string> split_text(const std::string& s, char sep) {
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
  h5::DatasetOptions opt;
  opt.extendible = true;
  opt.chunk = {kChunkRows};
  const bool existed = f.has_group(base);
  h5::Group g = existed ? f.group(base) : f.create_group(base);
  const size_t n_rows = existed ? static_cast<size_t>(g.dataset("index").n_elements()) : 0;
  for_each_column([&](const char* name, auto field) {
    if (existed && (!is_late_column(name) || g.has(name))) return;
    h5::Dataset d = g.create_dataset(name, stored_dtype<column_type<decltype(field)>>(), {0}, opt);
    const std::vector<double> zeros(n_rows, 0.0);
    if (existed) d.append(std::span<const double>(zeros));
  });
}

Table open_table(h5::File& f, const std::string& task) {
  ensure_tables(f, task);
  const h5::Group g = f.group("tasks/" + task + "/samples");
  Table t;
  for_each_column([&](const char* name, auto) { t.push_back(g.dataset(name)); });
  return t;
}

// Closes an HDF5 id at scope exit.
struct IdGuard {
  hid_t id;
  herr_t (*close)(hid_t);
  ~IdGuard() {
    if (id >= 0) close(id);
  }
};

// Appends variable-length strings to a 1-D extendible string dataset. Dataset::append does the
// same with the default transfer properties, whose 1 MiB type-conversion buffer HDF5 allocates and
// zeroes on every write: about 0.5 ms per column and commit. A small buffer removes that cost.
void append_strings(h5::Dataset& d, const std::vector<const char*>& ptrs) {
  if (ptrs.empty()) return;
  const char* w = d.where().c_str();
  auto ok = [w](bool good, const char* what) {
    T2_CHECK(good, "HDF5: %s: %s failed while appending strings", w, what);
  };
  static const hid_t dxpl = [] {
    const hid_t p = H5Pcreate(H5P_DATASET_XFER);
    if (p >= 0) H5Pset_buffer(p, 64 * 1024, nullptr, nullptr);
    return p;
  }();
  ok(dxpl >= 0, "creating the transfer property list");
  const hsize_t row0 = static_cast<hsize_t>(d.shape().at(0));
  const hsize_t n = ptrs.size();
  const hsize_t total = row0 + n;
  ok(H5Dset_extent(d.id(), &total) >= 0, "growing the dataset");
  IdGuard fs{H5Dget_space(d.id()), H5Sclose};
  ok(fs.id >= 0, "reading the dataspace");
  ok(H5Sselect_hyperslab(fs.id, H5S_SELECT_SET, &row0, nullptr, &n, nullptr) >= 0, "selecting rows");
  IdGuard ms{H5Screate_simple(1, &n, nullptr), H5Sclose};
  ok(ms.id >= 0, "creating the memory dataspace");
  IdGuard type{H5Tcopy(H5T_C_S1), H5Tclose};
  ok(type.id >= 0 && H5Tset_size(type.id, H5T_VARIABLE) >= 0 &&
         H5Tset_cset(type.id, H5T_CSET_UTF8) >= 0,
     "making the string type");
  ok(H5Dwrite(d.id(), type.id, ms.id, fs.id, dxpl, ptrs.data()) >= 0, "writing");
}

void append_rows(Table& t, const std::vector<const SampleRecord*>& rows) {
  size_t k = 0;
  for_each_column([&](const char*, auto field) {
    using T = column_type<decltype(field)>;
    h5::Dataset& d = t[k++];
    if constexpr (std::is_same_v<T, std::string>) {
      std::vector<const char*> v;
      v.reserve(rows.size());
      for (const auto* r : rows) v.push_back((r->*field).c_str());
      append_strings(d, v);
    } else {
      std::vector<Stored<T>> v;
      v.reserve(rows.size());
      for (const auto* r : rows) v.push_back(static_cast<Stored<T>>(r->*field));
      d.append(std::span<const Stored<T>>(v));
    }
  });
}

void write_summary(h5::File& f, const std::string& task, const TaskSummary& s) {
  ensure_tables(f, task);
  h5::Group g = f.group("tasks/" + task);
  for_each_summary_attr([&](const char* name, auto field) { g.set_attr(name, s.*field); });
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


}  // namespace t2::io::report_h5

namespace t2::io {

ReportData read_report(const std::string& path) {
  h5::File f = h5::File::open(path);
  T2_CHECK(f.has_attr("schema") && f.attr_string("schema") == "t2-report",
           "'%s' is an HDF5 file but not a t2 report (no schema = t2-report attribute)", path.c_str());
  const int64_t version = f.attr_i64("schema_version");
  T2_CHECK(version == 1 || version == kReportSchemaVersion,
           "'%s' has report schema version %lld; this t2 reads versions 1 to %d", path.c_str(),
           static_cast<long long>(version), kReportSchemaVersion);
  const bool v1 = version == 1;
  ReportData d;
  d.run.command = f.attr_string("command");
  d.run.config = f.attr_string("config");
  d.run.version = f.attr_string("version");
  d.run.git_revision = f.attr_string("git_revision");
  d.run.world_size = static_cast<int>(f.attr_i64("world_size"));
  d.run.tp = static_cast<int>(f.attr_i64("tp"));
  d.run.hosts = report_h5::split_text(f.attr_string("hosts"), ',');
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
    const std::size_t n = static_cast<size_t>(g.dataset("index").n_elements());
    auto& rows = d.tasks[task];
    SampleRecord blank;
    blank.task = task;
    rows.assign(n, blank);
    // A column this file's schema version may lack reads as 0 (version 1 is mapped below).
    auto may_lack = [v1](const char* name) {
      return report_h5::is_late_column(name) || (v1 && report_h5::is_v2_name(name));
    };
    for_each_column([&](const char* name, auto field) {
      using T = column_type<decltype(field)>;
      if (!g.has(name) && may_lack(name)) return;
      const auto column = report_h5::read_column<T>(g.dataset(name));
      T2_CHECK(column.size() == n, "'%s': task '%s' has columns of different lengths (%zu and %zu "
               "rows); the file was damaged while being written — resume from its journal",
               path.c_str(), task.c_str(), n, column.size());
      for (std::size_t i = 0; i < n; ++i) rows[i].*field = static_cast<T>(column[i]);
    });
    // Version 1 stored the batch shares under the names of the per-sample pass times.
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    if (v1) {
      for (auto& r : rows) {
        r.pass1_wall_s = std::exchange(r.pass1_s, kNaN);
        r.pass2_wall_s = std::exchange(r.pass2_s, kNaN);
      }
    }
    const h5::Group t = tasks.group(task);
    if (t.has_attr("n")) {
      TaskSummary s;
      report_h5::for_each_summary_attr([&](const char* name, auto field) {
        using T = std::remove_cvref_t<decltype(s.*field)>;
        if (!t.has_attr(name) && may_lack(name)) return;
        if constexpr (std::is_same_v<T, double>) s.*field = t.attr_f64(name);
        if constexpr (std::is_same_v<T, int64_t>) s.*field = t.attr_i64(name);
      });
      if (v1) {
        s.pass1_wall_s = std::exchange(s.pass1_s, kNaN);
        s.pass2_wall_s = std::exchange(s.pass2_s, kNaN);
      }
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

}  // namespace t2::io
