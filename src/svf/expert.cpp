// Expert files: save, load, validate, initialise.
#include "svf/expert.h"

#include <cmath>
#include <cstring>
#include <functional>

#include "base/error.h"
#include "base/rng.h"
#include "io/h5.h"
#include "svf/compose.h"
#include "base/hash.h"
#include "svf/svd_store.h"

namespace t2::svf {

namespace {
constexpr const char* kFormat = "t2-svf-expert";
constexpr int64_t kFormatVersion = 1;
const char* const kKnownAttrs[] = {"format",   "format_version", "base_fingerprint",
                                   "parameterisation", "max_mult", "task",
                                   "provenance", "checksum", "n_params"};

bool is_known_attr(const std::string& a) {
  for (const char* k : kKnownAttrs)
    if (a == k) return true;
  return false;
}
}  // namespace

std::vector<float> Expert::z(const std::string& matrix) const {
  auto it = params.find(matrix);
  T2_CHECK(it != params.end(), "expert (task '%s') has no parameters for matrix '%s'",
           meta.task.c_str(), matrix.c_str());
  return scaling_from_params(it->second, meta.max_mult);
}

int64_t Expert::n_params() const {
  int64_t n = 0;
  for (const auto& [_, p] : params) n += static_cast<int64_t>(p.size());
  return n;
}

std::string Expert::checksum() const {
  Hasher h;
  h.update(std::string_view("t2 expert checksum v1"));
  h.update(&meta.max_mult, sizeof meta.max_mult);
  for (const auto& [name, p] : params) {
    h.update(name);
    h.update_i64(static_cast<int64_t>(p.size()));
    h.update(p.data(), p.size() * sizeof(float));
  }
  return "t2ck1-" + h.hex();
}

void save_expert(const Expert& expert, const std::string& path) {
  T2_CHECK(!expert.params.empty(), "refusing to write expert '%s' with no matrices", path.c_str());
  io::h5::create_atomic(path, [&](io::h5::File& f) {
    f.set_attr("format", kFormat);
    f.set_attr("format_version", kFormatVersion);
    f.set_attr("base_fingerprint", expert.meta.base_fingerprint);
    f.set_attr("parameterisation", kParameterisation);
    f.set_attr("max_mult", expert.meta.max_mult);
    f.set_attr("task", expert.meta.task);
    f.set_attr("provenance", expert.meta.provenance);
    f.set_attr("checksum", expert.checksum());
    f.set_attr("n_params", expert.n_params());
    for (const auto& [k, v] : expert.meta.extra) {
      T2_CHECK(!is_known_attr(k), "expert extra attribute '%s' clashes with a reserved name",
               k.c_str());
      f.set_attr(k, v);
    }
    auto g = f.create_group("p");
    for (const auto& [name, p] : expert.params) g.write(name, p);
  }, "expert");
}

Expert load_expert(const std::string& path) {
  auto f = io::h5::File::open(path);
  T2_CHECK(f.has_attr("format") && f.attr_string("format") == kFormat,
           "'%s' is not an SVF expert file (no format = \"%s\" attribute)", path.c_str(), kFormat);
  const int64_t version = f.attr_i64("format_version");
  T2_CHECK(version == kFormatVersion, "expert '%s' has format version %lld; this build reads %lld",
           path.c_str(), static_cast<long long>(version), static_cast<long long>(kFormatVersion));
  const std::string param = f.attr_string("parameterisation");
  T2_CHECK(param == kParameterisation,
           "expert '%s' uses parameterisation '%s'; this build supports only '%s'", path.c_str(),
           param.c_str(), kParameterisation);
  Expert e;
  e.meta.base_fingerprint = f.attr_string("base_fingerprint");
  e.meta.task = f.attr_string("task");
  e.meta.provenance = f.attr_string("provenance");
  e.meta.max_mult = f.attr_f64("max_mult");
  T2_CHECK(std::isfinite(e.meta.max_mult) && e.meta.max_mult > 0,
           "expert '%s': max_mult = %g, expected a positive finite number", path.c_str(),
           e.meta.max_mult);
  for (const auto& a : f.attr_names()) {
    if (!is_known_attr(a)) e.meta.extra[a] = f.attr_string(a);
  }
  T2_CHECK(f.has_group("p"), "expert '%s' has no 'p' group (damaged file?)", path.c_str());
  auto g = f.group("p");
  for (const auto& name : g.children()) {
    auto d = g.dataset(name);
    T2_CHECK(d.shape().size() == 1, "expert '%s', matrix '%s': p must be 1-D, found rank %zu",
             path.c_str(), name.c_str(), d.shape().size());
    std::vector<float> p = d.read_f32();
    for (size_t i = 0; i < p.size(); ++i) {
      T2_CHECK(std::isfinite(p[i]), "expert '%s', matrix '%s': p[%zu] = %g is not finite (the "
               "training run diverged?)", path.c_str(), name.c_str(), i,
               static_cast<double>(p[i]));
    }
    e.params.emplace(name, std::move(p));
  }
  T2_CHECK(!e.params.empty(), "expert '%s' holds no matrices", path.c_str());
  if (f.has_attr("checksum")) {
    const std::string stored = f.attr_string("checksum");
    T2_CHECK(stored == e.checksum(), "expert '%s': content checksum %s does not match the stored "
             "%s (file modified or damaged)", path.c_str(), e.checksum().c_str(), stored.c_str());
  }
  return e;
}

void validate_expert(const Expert& expert, const SvdStore& store, const std::string& what) {
  store.check_fingerprint(expert.meta.base_fingerprint, "expert '" + what + "'");
  for (const auto& [name, p] : expert.params) {
    T2_CHECK(store.has(name), "expert '%s' adapts matrix '%s', which SVD store '%s' does not hold "
             "(decomposed with other --matrices?)", what.c_str(), name.c_str(),
             store.path().c_str());
    const MatrixInfo m = store.info(name);
    T2_CHECK(static_cast<int64_t>(p.size()) == m.r,
             "expert '%s', matrix '%s': p has %zu values, but the matrix [%lld, %lld] has %lld "
             "singular values", what.c_str(), name.c_str(), p.size(),
             static_cast<long long>(m.n_out), static_cast<long long>(m.n_in),
             static_cast<long long>(m.r));
  }
}

Expert load_expert(const std::string& path, const SvdStore& store) {
  Expert e = load_expert(path);
  validate_expert(e, store, path);
  return e;
}

namespace {
Expert init_common(const SvdStore& store, const std::vector<std::string>& matrices,
                   const std::function<float(const std::string&, int64_t)>& value) {
  Expert e;
  e.meta.base_fingerprint = store.base_fingerprint();
  const std::vector<std::string> names = matrices.empty() ? store.names() : matrices;
  T2_CHECK(!names.empty(), "SVD store '%s' holds no matrices", store.path().c_str());
  for (const auto& name : names) {
    const int64_t r = store.info(name).r;
    std::vector<float> p(static_cast<size_t>(r));
    for (int64_t k = 0; k < r; ++k) p[k] = value(name, k);
    e.params.emplace(name, std::move(p));
  }
  return e;
}
}  // namespace

Expert init_expert_constant(const SvdStore& store, const std::vector<std::string>& matrices,
                            float value) {
  T2_CHECK(std::isfinite(value), "initial value %g is not finite", static_cast<double>(value));
  Expert e = init_common(store, matrices, [&](const std::string&, int64_t) { return value; });
  e.meta.provenance = format("init constant p = %.9g", static_cast<double>(value));
  return e;
}

Expert init_expert_random(const SvdStore& store, const std::vector<std::string>& matrices,
                          uint64_t seed, double mean, double std) {
  T2_CHECK(std::isfinite(mean) && std::isfinite(std) && std >= 0,
           "random init needs a finite mean and std ≥ 0, got %g and %g", mean, std);
  std::string current;
  Rng rng(0);
  Expert e = init_common(store, matrices, [&](const std::string& name, int64_t) {
    if (name != current) {
      current = name;
      rng = Rng::stream(seed, hash_string(name), RngPurpose::init);
    }
    return static_cast<float>(mean + std * rng.normal());
  });
  e.meta.provenance = format("init random p = %.9g + %.9g * N(0,1), seed %llu", mean, std,
                             static_cast<unsigned long long>(seed));
  return e;
}

}  // namespace t2::svf
