// SVD store on top of io/h5.
#include "svf/svd_store.h"

#include <algorithm>

#include "base/error.h"

namespace t2::svf {

namespace {
constexpr const char* kFormat = "t2-svd-store";
constexpr int64_t kFormatVersion = 1;
}  // namespace

SvdStore::SvdStore(io::h5::File f) : file_(std::move(f)) {
  fingerprint_ = file_.attr_string("base_fingerprint");
}

SvdStore SvdStore::create(const std::string& path, const std::string& base_fingerprint,
                          const std::string& base_model) {
  auto f = io::h5::File::create(path);
  f.set_attr("format", kFormat);
  f.set_attr("format_version", kFormatVersion);
  f.set_attr("base_fingerprint", base_fingerprint);
  f.set_attr("base_model", base_model);
  f.set_attr("max_reconstruction_error", 0.0);
  return SvdStore(std::move(f));
}

SvdStore SvdStore::open(const std::string& path, io::h5::Mode mode) {
  auto f = io::h5::File::open(path, mode);
  T2_CHECK(f.has_attr("format") && f.attr_string("format") == kFormat,
           "'%s' is not an SVD store (no format = \"%s\" attribute); make one with t2 decompose",
           path.c_str(), kFormat);
  const int64_t version = f.attr_i64("format_version");
  T2_CHECK(version == kFormatVersion,
           "SVD store '%s' has format version %lld; this build reads version %lld", path.c_str(),
           static_cast<long long>(version), static_cast<long long>(kFormatVersion));
  return SvdStore(std::move(f));
}

std::string SvdStore::base_model() const { return file_.attr_string("base_model"); }

std::vector<std::string> SvdStore::names() const {
  std::vector<std::string> out;
  for (auto& n : file_.children()) {
    if (file_.has_group(n) && file_.group(n).has_attr("complete")) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool SvdStore::has(const std::string& name) const {
  return file_.has_group(name) && file_.group(name).has_attr("complete");
}

MatrixInfo SvdStore::info(const std::string& name) const {
  T2_CHECK(has(name), "SVD store '%s' has no (complete) matrix '%s'; decompose it with t2 "
           "decompose --matrices ...", path().c_str(), name.c_str());
  auto g = file_.group(name);
  MatrixInfo m;
  m.name = name;
  const auto shape = g.attr_i64_vec("shape");
  T2_CHECK(shape.size() == 2, "SVD store '%s', matrix '%s': shape attribute has %zu entries, "
           "expected 2", path().c_str(), name.c_str(), shape.size());
  m.n_out = shape[0];
  m.n_in = shape[1];
  m.r = std::min(m.n_out, m.n_in);
  m.dtype = g.attr_string("dtype");
  m.precision = g.attr_string("precision");
  m.max_abs_error = g.attr_f64("max_abs_error");
  return m;
}

Svd SvdStore::read(const std::string& name) const {
  const MatrixInfo m = info(name);
  auto g = file_.group(name);
  Svd svd;
  svd.n_out = m.n_out;
  svd.n_in = m.n_in;
  svd.r = m.r;
  const std::pair<const char*, std::vector<int64_t>> expect[] = {
      {"U", {m.n_out, m.r}}, {"S", {m.r}}, {"V", {m.n_in, m.r}}};
  for (const auto& [ds, shape] : expect) {
    auto d = g.dataset(ds);
    T2_CHECK(d.shape() == shape, "SVD store '%s', matrix '%s': %s has %lld values, expected %lld "
             "(store damaged?)", path().c_str(), name.c_str(), ds,
             static_cast<long long>(d.n_elements()),
             static_cast<long long>(shape.size() == 1 ? shape[0] : shape[0] * shape[1]));
  }
  svd.u = g.dataset("U").read_f32();
  svd.s = g.dataset("S").read_f32();
  svd.v = g.dataset("V").read_f32();
  validate_svd(svd, path() + ":" + name);
  return svd;
}

std::vector<float> SvdStore::read_singular_values(const std::string& name) const {
  const MatrixInfo m = info(name);
  auto s = file_.group(name).dataset("S").read_f32();
  T2_CHECK(static_cast<int64_t>(s.size()) == m.r, "SVD store '%s', matrix '%s': S has %zu values, "
           "expected %lld", path().c_str(), name.c_str(), s.size(), static_cast<long long>(m.r));
  return s;
}

void SvdStore::write(const std::string& name, const Svd& svd, const std::string& dtype,
                     SvdPrecision precision, double max_abs_error) {
  T2_CHECK(file_.writable(), "SVD store '%s' is open read-only", path().c_str());
  validate_svd(svd, name);
  if (file_.has(name)) file_.remove(name);
  auto g = file_.create_group(name);
  g.write("U", svd.u, {svd.n_out, svd.r});
  g.write("S", svd.s);
  g.write("V", svd.v, {svd.n_in, svd.r});
  const std::vector<int64_t> shape{svd.n_out, svd.n_in};
  g.set_attr("shape", std::span<const int64_t>(shape));
  g.set_attr("dtype", dtype);
  g.set_attr("precision", precision_name(precision));
  g.set_attr("max_abs_error", max_abs_error);
  g.set_attr("complete", int64_t{1});
  file_.set_attr("max_reconstruction_error",
                 std::max(max_abs_error, file_.attr_f64("max_reconstruction_error")));
}

std::vector<std::string> SvdStore::drop_incomplete() {
  std::vector<std::string> dropped;
  for (auto& n : file_.children()) {
    if (file_.has_group(n) && !file_.group(n).has_attr("complete")) dropped.push_back(n);
  }
  for (auto& n : dropped) file_.remove(n);
  return dropped;
}

double SvdStore::max_reconstruction_error() const {
  return file_.attr_f64("max_reconstruction_error");
}

void SvdStore::check_fingerprint(const std::string& fingerprint, const std::string& what) const {
  T2_CHECK(fingerprint == fingerprint_,
           "%s has base fingerprint %s, but SVD store '%s' was made from a checkpoint with "
           "fingerprint %s (base model '%s'); they belong to different base models",
           what.c_str(), fingerprint.c_str(), path().c_str(), fingerprint_.c_str(),
           base_model().c_str());
}

}  // namespace t2::svf
