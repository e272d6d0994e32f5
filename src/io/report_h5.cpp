// The HDF5 side of the report schema: writing run attributes, sample columns and summaries, and
// reading a report back. The column list below is the schema of a task's sample table.
#include "io/report_h5.h"

#include <hdf5.h>  // string appends with a small conversion buffer (append_strings)

#include <limits>

#include "base/error.h"

namespace t2::io::report_h5 {
namespace {

constexpr int64_t kChunkRows = 1024;

// Columns of /tasks/<task>/samples, in schema order.
enum class Col { index, id, label, expert, prediction, correct, status, prompt_tokens,
                 generated_tokens, pass1_s, pass2_s, text, pass1_wall_s, pass2_wall_s, adapt_s, vision_s };
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
    {"pass1_wall_s", h5::DType::f64}, {"pass2_wall_s", h5::DType::f64},
    {"adapt_s", h5::DType::f64},      {"vision_s", h5::DType::f64},
};
// Columns added to schema version 2 later: a report written before them reads them as 0, and
// appending to it first fills them with zeros for the rows it already holds.
constexpr Col kFirstLateColumn = Col::vision_s;

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

}  // namespace

std::vector<std::string> split_text(const std::string& s, char sep) { return split(s, sep); }

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
  if (f.has_group(base)) {
    h5::Group g = f.group(base);
    const size_t n_rows = g.dataset("index").read_i64().size();
    for (auto c = static_cast<size_t>(kFirstLateColumn); c < std::size(kColumns); ++c) {
      if (g.has(kColumns[c].name)) continue;
      h5::Dataset d = g.create_dataset(kColumns[c].name, kColumns[c].type, {0}, opt);
      const std::vector<double> zeros(n_rows, 0.0);
      d.append(std::span<const double>(zeros));
    }
    return;
  }
  h5::Group g = f.create_group(base);
  for (const auto& c : kColumns) g.create_dataset(c.name, c.type, {0}, opt);
}

Table open_table(h5::File& f, const std::string& task) {
  ensure_tables(f, task);
  const h5::Group g = f.group("tasks/" + task + "/samples");
  Table t;
  for (const auto& c : kColumns) t.push_back(g.dataset(c.name));
  return t;
}

template <class T, class Get>
void append_num(h5::Dataset& d, const std::vector<const SampleRecord*>& rows, Get get) {
  std::vector<T> v;
  v.reserve(rows.size());
  for (const auto* r : rows) v.push_back(static_cast<T>(get(*r)));
  d.append(std::span<const T>(v));
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

template <class Get>
void append_str(h5::Dataset& d, const std::vector<const SampleRecord*>& rows, Get get) {
  std::vector<const char*> v;
  v.reserve(rows.size());
  for (const auto* r : rows) v.push_back(get(*r).c_str());
  append_strings(d, v);
}

void append_rows(Table& t, const std::vector<const SampleRecord*>& rows) {
  auto col = [&t](Col c) -> h5::Dataset& { return t[static_cast<std::size_t>(c)]; };
  append_num<int64_t>(col(Col::index), rows, [](const SampleRecord& r) { return r.index; });
  append_str(col(Col::id), rows, [](const SampleRecord& r) -> const std::string& { return r.id; });
  append_str(col(Col::label), rows,
             [](const SampleRecord& r) -> const std::string& { return r.label; });
  append_str(col(Col::expert), rows,
             [](const SampleRecord& r) -> const std::string& { return r.expert; });
  append_str(col(Col::prediction), rows,
             [](const SampleRecord& r) -> const std::string& { return r.prediction; });
  append_num<int32_t>(col(Col::correct), rows, [](const SampleRecord& r) { return r.correct ? 1 : 0; });
  append_str(col(Col::status), rows,
             [](const SampleRecord& r) -> const std::string& { return r.status; });
  append_num<int32_t>(col(Col::prompt_tokens), rows,
                      [](const SampleRecord& r) { return r.prompt_tokens; });
  append_num<int32_t>(col(Col::generated_tokens), rows,
                      [](const SampleRecord& r) { return r.generated_tokens; });
  append_num<double>(col(Col::pass1_s), rows, [](const SampleRecord& r) { return r.pass1_s; });
  append_num<double>(col(Col::pass2_s), rows, [](const SampleRecord& r) { return r.pass2_s; });
  append_str(col(Col::text), rows, [](const SampleRecord& r) -> const std::string& { return r.text; });
  append_num<double>(col(Col::pass1_wall_s), rows,
                     [](const SampleRecord& r) { return r.pass1_wall_s; });
  append_num<double>(col(Col::pass2_wall_s), rows,
                     [](const SampleRecord& r) { return r.pass2_wall_s; });
  append_num<double>(col(Col::adapt_s), rows, [](const SampleRecord& r) { return r.adapt_s; });
  append_num<double>(col(Col::vision_s), rows, [](const SampleRecord& r) { return r.vision_s; });
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
  g.set_attr("pass1_wall_s", s.pass1_wall_s);
  g.set_attr("pass2_wall_s", s.pass2_wall_s);
  g.set_attr("adapt_s", s.adapt_s);
  g.set_attr("vision_s", s.vision_s);
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
    const std::vector<double> nan(n, std::numeric_limits<double>::quiet_NaN());
    const auto wall1 = v1 ? pass1 : g.dataset("pass1_wall_s").read_f64();
    const auto wall2 = v1 ? pass2 : g.dataset("pass2_wall_s").read_f64();
    const auto adapt = v1 ? std::vector<double>(n, 0.0) : g.dataset("adapt_s").read_f64();
    const auto vision = g.has("vision_s") ? g.dataset("vision_s").read_f64() : std::vector<double>(n, 0.0);
    for (std::size_t len : {id.size(), label.size(), expert.size(), prediction.size(), correct.size(),
                            status.size(), prompt_tokens.size(), generated_tokens.size(),
                            pass1.size(), pass2.size(), text.size(), wall1.size(), wall2.size(),
                            adapt.size(), vision.size()}) {
      T2_CHECK(len == n, "'%s': task '%s' has columns of different lengths (%zu and %zu rows); the "
               "file was damaged while being written — resume from its journal",
               path.c_str(), task.c_str(), n, len);
    }
    auto& rows = d.tasks[task];
    for (std::size_t i = 0; i < n; ++i) {
      rows.push_back(SampleRecord{task, index[i], id[i], label[i], expert[i], prediction[i],
                                  correct[i] != 0, status[i], prompt_tokens[i], generated_tokens[i],
                                  v1 ? nan[i] : pass1[i], v1 ? nan[i] : pass2[i], text[i],
                                  wall1[i], wall2[i], adapt[i], vision[i]});
    }
    const h5::Group t = tasks.group(task);
    if (t.has_attr("n")) {
      TaskSummary s;
      s.n = t.attr_i64("n");
      s.n_correct = t.attr_i64("n_correct");
      s.n_errors = t.attr_i64("n_errors");
      s.accuracy = t.attr_f64("accuracy");
      s.pass1_wall_s = t.attr_f64(v1 ? "pass1_s" : "pass1_wall_s");
      s.pass2_wall_s = t.attr_f64(v1 ? "pass2_s" : "pass2_wall_s");
      s.pass1_s = v1 ? std::numeric_limits<double>::quiet_NaN() : t.attr_f64("pass1_s");
      s.pass2_s = v1 ? std::numeric_limits<double>::quiet_NaN() : t.attr_f64("pass2_s");
      s.adapt_s = v1 ? 0.0 : t.attr_f64("adapt_s");
      s.vision_s = t.has_attr("vision_s") ? t.attr_f64("vision_s") : 0.0;
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

}  // namespace t2::io
