// Loading, checking and mixing the experts of a run; see bank.h.
#include "svf/bank.h"

#include <set>

#include "base/error.h"
#include "svf/svd_store.h"

namespace t2::svf {

void ExpertBank::add_expert(const std::string& label, const std::string& path, Expert e) {
  T2_CHECK(!label.empty() && !has(label), "expert label '%s' is empty or given twice (%s)",
           label.c_str(), path.c_str());
  if (experts_.empty()) {
    for (const auto& [name, _] : e.params) matrices_.push_back(name);
    fingerprint_ = e.meta.base_fingerprint;
  } else {
    const Expert& first = experts_.front();
    const std::string& first_path = files_.front().second;
    T2_CHECK(e.meta.base_fingerprint == fingerprint_,
             "expert %s (%s) belongs to base %s, expert %s (%s) to %s", label.c_str(),
             path.c_str(), e.meta.base_fingerprint.c_str(), files_.front().first.c_str(),
             first_path.c_str(), fingerprint_.c_str());
    T2_CHECK(e.params.size() == first.params.size(),
             "expert %s (%s) adapts %zu matrices, expert %s (%s) %zu", label.c_str(), path.c_str(),
             e.params.size(), files_.front().first.c_str(), first_path.c_str(),
             first.params.size());
    for (const auto& [name, p] : e.params) {
      auto it = first.params.find(name);
      T2_CHECK(it != first.params.end(), "expert %s (%s) adapts %s, which expert %s (%s) does not",
               label.c_str(), path.c_str(), name.c_str(), files_.front().first.c_str(),
               first_path.c_str());
      T2_CHECK(it->second.size() == p.size(), "expert %s (%s) has %zu values for %s, expert %s "
               "has %zu", label.c_str(), path.c_str(), p.size(), name.c_str(),
               files_.front().first.c_str(), it->second.size());
    }
  }
  scalings_[label] = scaling_from_expert(e, label);
  files_.emplace_back(label, path);
  order_.push_back(label);
  experts_.push_back(std::move(e));
}

ExpertBank ExpertBank::load(const SvdStore& store,
                            const std::vector<std::pair<std::string, std::string>>& experts,
                            const std::string& mixture) {
  ExpertBank b;
  for (const auto& [label, path] : experts) b.add_expert(label, path, load_expert(path, store));
  if (!mixture.empty()) {
    T2_CHECK(!b.has("mixture"), "an expert is labelled 'mixture', which names the mixture file");
    const Mixture m = load_mixture(mixture);
    const std::vector<Expert> ex = load_mixture_experts(m, mixture, store);
    if (b.experts_.empty()) {
      for (const auto& [name, _] : ex.front().params) b.matrices_.push_back(name);
      b.fingerprint_ = m.base_fingerprint;
    } else {
      std::set<std::string> names;
      for (const auto& [name, _] : ex.front().params) names.insert(name);
      T2_CHECK(names == std::set<std::string>(b.matrices_.begin(), b.matrices_.end()),
               "mixture %s adapts other matrices than the experts given with it", mixture.c_str());
    }
    b.scalings_["mixture"] = scaling_from_mixture(m, ex, "mixture");
    b.order_.push_back("mixture");
  }
  return b;
}

ExpertBank ExpertBank::load_unchecked(
    const std::vector<std::pair<std::string, std::string>>& experts) {
  ExpertBank b;
  for (const auto& [label, path] : experts) b.add_expert(label, path, load_expert(path));
  return b;
}

void ExpertBank::load_factors(const SvdStore& store, const model::LlamaModel& model) {
  factors_ = std::make_shared<const FactorSet>(FactorSet::load(store, model, matrices_));
}

const ScalingSet& ExpertBank::scaling(const std::string& label) const {
  auto it = scalings_.find(label);
  T2_CHECK(it != scalings_.end(), "no expert labelled '%s' is loaded", label.c_str());
  return it->second;
}

std::shared_ptr<const FactorSet> ExpertBank::factors() const {
  T2_CHECK(factors_ != nullptr, "the expert bank has no factors loaded (load_factors)");
  return factors_;
}

int ExpertBank::dim(bool per_layer) const {
  const int k = static_cast<int>(experts_.size());
  return per_layer ? static_cast<int>(matrices_.size()) * k : k;
}

ScalingSet ExpertBank::mix(std::span<const double> alpha, bool per_layer, bool normalise,
                           const std::string& label) const {
  const size_t k = experts_.size();
  T2_CHECK(k > 0, "mixing needs at least one expert");
  T2_CHECK(static_cast<int>(alpha.size()) == dim(per_layer),
           "mixture weights: expected %d values, got %zu", dim(per_layer), alpha.size());
  ScalingSet s;
  s.label = label;
  std::vector<const std::vector<float>*> zk(k);
  for (size_t m = 0; m < matrices_.size(); ++m) {
    for (size_t e = 0; e < k; ++e) zk[e] = &scalings_.at(files_[e].first).z.at(matrices_[m]);
    s.z[matrices_[m]] = mix_z(zk, alpha.subspan(per_layer ? m * k : 0, k), normalise, matrices_[m]);
  }
  return s;
}

}  // namespace t2::svf
