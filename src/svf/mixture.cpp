// Mixture files and the mixing of scaling vectors.
#include "svf/mixture.h"

#include <cmath>
#include <filesystem>
#include <set>

#include "base/error.h"
#include "io/h5.h"
#include "svf/svd_store.h"

namespace t2::svf {

namespace {
constexpr const char* kFormat = "t2-svf-mixture";
constexpr int64_t kFormatVersion = 1;
}  // namespace

std::span<const double> Mixture::weights_for(const std::string& matrix) const {
  const size_t k = experts.size();
  for (size_t i = 0; i < matrix_names.size(); ++i) {
    if (matrix_names[i] == matrix) return std::span<const double>(alpha_matrix).subspan(i * k, k);
  }
  return alpha;
}

void validate_mixture(const Mixture& mix, const std::string& what) {
  const size_t k = mix.experts.size();
  T2_CHECK(k >= 1, "mixture '%s' names no experts", what.c_str());
  T2_CHECK(mix.alpha.size() == k, "mixture '%s': %zu weights for %zu experts", what.c_str(),
           mix.alpha.size(), k);
  T2_CHECK(mix.alpha_matrix.size() == mix.matrix_names.size() * k,
           "mixture '%s': per-matrix weights hold %zu values, expected %zu matrices × %zu experts",
           what.c_str(), mix.alpha_matrix.size(), mix.matrix_names.size(), k);
  std::set<std::string> labels;
  for (const auto& e : mix.experts) {
    T2_CHECK(labels.insert(e.label).second, "mixture '%s': expert label '%s' appears twice",
             what.c_str(), e.label.c_str());
  }
  std::set<std::string> seen;
  for (const auto& m : mix.matrix_names) {
    T2_CHECK(seen.insert(m).second, "mixture '%s': matrix '%s' has per-matrix weights twice",
             what.c_str(), m.c_str());
  }
  auto check_w = [&](double w, const std::string& where, size_t j) {
    T2_CHECK(std::isfinite(w) && w >= 0, "mixture '%s': weight %g of expert '%s'%s is not a "
             "finite number ≥ 0", what.c_str(), w, mix.experts[j].label.c_str(), where.c_str());
  };
  // A row of weights that is all 0 leaves z' = 0 and c = Σσ / Σ(σ ⊙ z') undefined.
  double sum = 0;
  for (size_t j = 0; j < k; ++j) check_w(mix.alpha[j], "", j), sum += mix.alpha[j];
  T2_CHECK(sum > 0, "mixture '%s': the expert weights are all 0, so the mixed scaling z' would be "
           "0 and c = Σσ / Σ(σ ⊙ z') undefined", what.c_str());
  for (size_t i = 0; i < mix.matrix_names.size(); ++i) {
    sum = 0;
    for (size_t j = 0; j < k; ++j) {
      check_w(mix.alpha_matrix[i * k + j], " for matrix '" + mix.matrix_names[i] + "'", j);
      sum += mix.alpha_matrix[i * k + j];
    }
    T2_CHECK(sum > 0, "mixture '%s': the weights for matrix '%s' are all 0, so z' would be 0 and "
             "c undefined", what.c_str(), mix.matrix_names[i].c_str());
  }
}

void check_mixture_matrices(const Mixture& mix, const std::vector<std::string>& adapted,
                            const std::string& what) {
  const std::set<std::string> known(adapted.begin(), adapted.end());
  for (const auto& m : mix.matrix_names) {
    T2_CHECK(known.count(m), "mixture '%s': per-matrix weights for '%s', which its experts do not "
             "adapt (they adapt %zu matrices, e.g. '%s'); check the name", what.c_str(), m.c_str(),
             known.size(), known.empty() ? "" : known.begin()->c_str());
  }
}

void save_mixture(const Mixture& mix, const std::string& path) {
  validate_mixture(mix, path);
  io::h5::create_atomic(path, [&](io::h5::File& f) {
    f.set_attr("format", kFormat);
    f.set_attr("format_version", kFormatVersion);
    f.set_attr("base_fingerprint", mix.base_fingerprint);
    f.set_attr("normalise", int64_t{mix.normalise ? 1 : 0});
    std::vector<std::string> labels, paths, sums;
    for (const auto& e : mix.experts) {
      labels.push_back(e.label);
      paths.push_back(e.path);
      sums.push_back(e.checksum);
    }
    f.write_strings("experts/labels", labels);
    f.write_strings("experts/paths", paths);
    f.write_strings("experts/checksums", sums);
    f.write("alpha", mix.alpha);
    if (!mix.matrix_names.empty()) {
      f.write_strings("matrix_names", mix.matrix_names);
      f.write("alpha_matrix", mix.alpha_matrix,
              {static_cast<int64_t>(mix.matrix_names.size()),
               static_cast<int64_t>(mix.experts.size())});
    }
  }, "mixture");
}

Mixture load_mixture(const std::string& path) {
  auto f = io::h5::File::open(path);
  T2_CHECK(f.has_attr("format") && f.attr_string("format") == kFormat,
           "'%s' is not an SVF mixture file (no format = \"%s\" attribute); make one with "
           "t2 mixture make", path.c_str(), kFormat);
  const int64_t version = f.attr_i64("format_version");
  T2_CHECK(version == kFormatVersion, "mixture '%s' has format version %lld; this build reads "
           "%lld", path.c_str(), static_cast<long long>(version),
           static_cast<long long>(kFormatVersion));
  Mixture mix;
  mix.base_fingerprint = f.attr_string("base_fingerprint");
  mix.normalise = f.attr_i64("normalise") != 0;
  const auto labels = f.dataset("experts/labels").read_strings();
  const auto paths = f.dataset("experts/paths").read_strings();
  const auto sums = f.dataset("experts/checksums").read_strings();
  T2_CHECK(labels.size() == paths.size() && labels.size() == sums.size(),
           "mixture '%s': expert labels (%zu), paths (%zu) and checksums (%zu) differ in length",
           path.c_str(), labels.size(), paths.size(), sums.size());
  for (size_t i = 0; i < labels.size(); ++i) mix.experts.push_back({labels[i], paths[i], sums[i]});
  mix.alpha = f.dataset("alpha").read_f64();
  if (f.has("matrix_names")) {
    mix.matrix_names = f.dataset("matrix_names").read_strings();
    auto d = f.dataset("alpha_matrix");
    const std::vector<int64_t> want{static_cast<int64_t>(mix.matrix_names.size()),
                                    static_cast<int64_t>(labels.size())};
    T2_CHECK(d.shape() == want, "mixture '%s': alpha_matrix has %lld values, expected %lld × %lld",
             path.c_str(), static_cast<long long>(d.n_elements()),
             static_cast<long long>(want[0]), static_cast<long long>(want[1]));
    mix.alpha_matrix = d.read_f64();
  }
  validate_mixture(mix, path);
  return mix;
}

std::vector<Expert> load_mixture_experts(const Mixture& mix, const std::string& mixture_path,
                                         const SvdStore& store) {
  store.check_fingerprint(mix.base_fingerprint, "mixture '" + mixture_path + "'");
  const auto dir = std::filesystem::path(mixture_path).parent_path();
  std::vector<Expert> out;
  for (const auto& me : mix.experts) {
    // Relative paths are relative to the mixture's folder (as `t2 mixture make` writes them);
    // a relative path that only exists from the working directory is accepted too.
    std::filesystem::path p(me.path);
    if (p.is_relative() && (std::filesystem::exists(dir / p) || !std::filesystem::exists(p))) {
      p = dir / p;
    }
    Expert e = load_expert(p.string(), store);
    T2_CHECK(e.checksum() == me.checksum,
             "mixture '%s': expert '%s' (%s) has content checksum %s, but the mixture was made "
             "with %s (the expert file changed since)", mixture_path.c_str(), me.label.c_str(),
             p.string().c_str(), e.checksum().c_str(), me.checksum.c_str());
    if (!out.empty()) {
      for (const auto& [name, _] : e.params) {
        T2_CHECK(out.front().params.count(name), "mixture '%s': expert '%s' adapts '%s', which "
                 "expert '%s' does not", mixture_path.c_str(), me.label.c_str(), name.c_str(),
                 mix.experts.front().label.c_str());
      }
      T2_CHECK(e.params.size() == out.front().params.size(), "mixture '%s': experts '%s' and "
               "'%s' adapt different sets of matrices (%zu vs %zu)", mixture_path.c_str(),
               mix.experts.front().label.c_str(), me.label.c_str(), out.front().params.size(),
               e.params.size());
    }
    out.push_back(std::move(e));
  }
  std::vector<std::string> adapted;
  for (const auto& [name, _] : out.front().params) adapted.push_back(name);
  check_mixture_matrices(mix, adapted, mixture_path);
  return out;
}

std::vector<float> mix_scaling(const Mixture& mix, std::span<const Expert> experts,
                               const std::string& matrix) {
  T2_CHECK(experts.size() == mix.experts.size(), "mixture has %zu experts, %zu were loaded",
           mix.experts.size(), experts.size());
  std::vector<std::vector<float>> z;
  for (const Expert& e : experts) z.push_back(e.z(matrix));
  std::vector<const std::vector<float>*> zk;
  for (const auto& v : z) zk.push_back(&v);
  return mix_z(zk, mix.weights_for(matrix), mix.normalise, matrix);
}

ScalingSet scaling_from_expert(const Expert& expert, const std::string& label) {
  ScalingSet s;
  s.label = label;
  for (const auto& [name, _] : expert.params) s.z.emplace(name, expert.z(name));
  return s;
}

ScalingSet scaling_from_mixture(const Mixture& mix, std::span<const Expert> experts,
                                const std::string& label) {
  T2_CHECK(!experts.empty(), "mixture '%s' has no loaded experts", label.c_str());
  ScalingSet s;
  s.label = label;
  for (const auto& [name, _] : experts.front().params) {
    s.z.emplace(name, mix_scaling(mix, experts, name));
  }
  return s;
}

}  // namespace t2::svf
