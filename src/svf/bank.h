// The experts a run may apply, loaded and checked once: each expert file (and a mixture file's
// experts) is validated against the SVD store (fingerprint, matrix names, lengths); all experts
// must adapt the same matrices; with load_factors() the store is checked against the model's
// checkpoint and the factors of those matrices are kept for this rank's shard. The bank resolves a
// label to its scaling set and mixes weights α into a new one through the one mixing formula
// (compose.h mix_z): global α [K], or per-layer α [M · K] (matrix-major: α[m · K + k], matrices in
// name order). Immutable after loading; safe to share between threads.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "model/llama/model.h"
#include "svf/compose.h"
#include "svf/expert.h"
#include "svf/mixture.h"
#include "svf/override.h"

namespace t2::svf {

class SvdStore;

class ExpertBank {
 public:
  ExpertBank() = default;

  // experts: (label, file) in order; mixture: a mixture file ("" for none), stored under the
  // label "mixture". Labels must be unique. Throws t2::Error naming the file and the problem.
  static ExpertBank load(const SvdStore& store,
                         const std::vector<std::pair<std::string, std::string>>& experts,
                         const std::string& mixture = "");
  // The same checks without a store (the coordinator of a search, which never runs the model):
  // the experts against each other only.
  static ExpertBank load_unchecked(const std::vector<std::pair<std::string, std::string>>& experts);

  // Checks the store against the model's checkpoint and loads the factors of every adapted
  // matrix (this rank's shard). Needed before factors().
  void load_factors(const SvdStore& store, const model::LlamaModel& model);

  bool empty() const { return order_.empty(); }
  bool has(const std::string& label) const { return scalings_.count(label) > 0; }
  // Labels in load order (the experts, then "mixture").
  const std::vector<std::string>& labels() const { return order_; }
  // The expert files' labels and paths, in order (without the mixture).
  const std::vector<std::pair<std::string, std::string>>& expert_files() const { return files_; }
  const std::vector<Expert>& experts() const { return experts_; }
  // The adapted matrices, in name order (the same for every expert).
  const std::vector<std::string>& matrices() const { return matrices_; }
  const std::string& base_fingerprint() const { return fingerprint_; }
  // Throws t2::Error when no expert or mixture has this label.
  const ScalingSet& scaling(const std::string& label) const;
  std::shared_ptr<const FactorSet> factors() const;

  // Coordinates of α over the bank's experts (not the mixture): K, or M · K when per_layer.
  int dim(bool per_layer) const;
  // The mixed scaling for α (dim(per_layer) values). Throws t2::Error naming the matrix when a
  // weight is negative or not finite, or all weights of a matrix are 0.
  ScalingSet mix(std::span<const double> alpha, bool per_layer, bool normalise,
                 const std::string& label) const;

 private:
  void add_expert(const std::string& label, const std::string& path, Expert e);

  std::vector<std::pair<std::string, std::string>> files_;
  std::vector<Expert> experts_;
  std::vector<std::string> order_;
  std::vector<std::string> matrices_;
  std::map<std::string, ScalingSet> scalings_;
  std::string fingerprint_;
  std::shared_ptr<const FactorSet> factors_;
};

}  // namespace t2::svf
