// Strategies for two-pass dispatch (strategy.h): one scaling of a bank for a whole batch
// (dense overrides: W' recomposed once per batch), and a per-slot strategy in which every sequence
// slot of a batch has its own scaling or none (factored overrides), which two-pass dispatch uses so
// that samples sent to different experts share one generation batch. A slot without a scaling runs
// the base weights; a batch whose slots all lack one registers no override at all.
// SvfBank holds what these strategies need on one replica: the factors of the adapted matrices
// (this rank's shard) and the resolved scaling of every loaded expert, keyed by label.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapt/strategy.h"
#include "model/llama/model.h"
#include "svf/mixture.h"
#include "svf/override.h"

namespace t2::adapt {

struct SvfBank {
  std::shared_ptr<const svf::FactorSet> factors;
  std::map<std::string, svf::ScalingSet> scalings;  // label → z per matrix
  std::vector<std::string> order;                   // labels in load order
};

// Loads the store, the experts (label, file) and/or a mixture file, validating each against the
// store and the model, and the factors of every matrix any of them adapts. A mixture is stored
// under the label "mixture". Throws t2::Error naming the file.
SvfBank load_svf_bank(const std::string& svd, const std::vector<std::pair<std::string, std::string>>& experts,
                      const std::string& mixture, const model::LlamaModel& model);

// Dense overrides of one scaling for every batch; kind expert or mixture.
std::unique_ptr<Strategy> make_scaling_strategy(StrategyKind kind, const SvfBank& bank,
                                                const std::string& label);

// Factored overrides: slot j uses per_slot[j] (nullptr = base weights). label names the records.
class SlotStrategy final : public Strategy {
 public:
  SlotStrategy(StrategyKind kind, std::shared_ptr<const svf::FactorSet> factors,
               std::vector<const svf::ScalingSet*> per_slot)
      : kind_(kind), factors_(std::move(factors)), per_slot_(std::move(per_slot)) {}
  StrategyKind kind() const override { return kind_; }
  std::string label() const override { return strategy_kind_name(kind_); }
  void apply(model::RunContext& ctx) const override;

 private:
  StrategyKind kind_;
  std::shared_ptr<const svf::FactorSet> factors_;
  std::vector<const svf::ScalingSet*> per_slot_;
};

}  // namespace t2::adapt
