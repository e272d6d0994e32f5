// Expert and mixture strategies over the svf module's dense overrides; see svf_strategy.h.
#include "adapt/svf_strategy.h"

#include <filesystem>
#include <utility>
#include <vector>

#include "svf/expert.h"
#include "svf/mixture.h"
#include "svf/override.h"
#include "svf/svd_store.h"

namespace t2::adapt {

namespace {

class SvfStrategy final : public Strategy {
 public:
  SvfStrategy(StrategyKind kind, std::string label, const svf::ScalingSet& scaling,
              const svf::SvdStore& store, const model::LlamaModel& model)
      : kind_(kind), label_(std::move(label)) {
    std::vector<std::string> names;
    for (const auto& [name, z] : scaling.z) names.push_back(name);
    const svf::FactorSet factors = svf::FactorSet::load(store, model, names);
    for (const auto& [name, z] : scaling.z) {
      const model::Weight& w = model.weights().get(name);
      overrides_.emplace_back(
          name, std::make_shared<const svf::DenseOverride>(factors.get(name), z, w.dtype, name));
    }
  }
  StrategyKind kind() const override { return kind_; }
  std::string label() const override { return label_; }
  void apply(model::RunContext& ctx) const override {
    ctx.clear_overrides();
    for (const auto& [name, ov] : overrides_) ctx.set_override(name, ov);
  }

 private:
  StrategyKind kind_;
  std::string label_;
  std::vector<std::pair<std::string, std::shared_ptr<const model::LinearOverride>>> overrides_;
};

std::string stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

}  // namespace

std::unique_ptr<Strategy> make_expert_strategy(const std::string& svd_path,
                                               const std::string& expert_path,
                                               const model::LlamaModel& model) {
  const svf::SvdStore store = svf::SvdStore::open(svd_path);
  const svf::Expert expert = svf::load_expert(expert_path, store);
  const std::string label = expert.meta.task.empty() ? stem(expert_path) : expert.meta.task;
  return std::make_unique<SvfStrategy>(StrategyKind::expert, label,
                                       svf::scaling_from_expert(expert, label), store, model);
}

std::unique_ptr<Strategy> make_mixture_strategy(const std::string& svd_path,
                                                const std::string& mixture_path,
                                                const model::LlamaModel& model) {
  const svf::SvdStore store = svf::SvdStore::open(svd_path);
  const svf::Mixture mix = svf::load_mixture(mixture_path);
  const std::vector<svf::Expert> experts = svf::load_mixture_experts(mix, mixture_path, store);
  const std::string label = "mixture:" + stem(mixture_path);
  return std::make_unique<SvfStrategy>(StrategyKind::mixture, label,
                                       svf::scaling_from_mixture(mix, experts, label), store, model);
}

}  // namespace t2::adapt
