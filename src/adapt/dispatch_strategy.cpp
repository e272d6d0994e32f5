// The bank of loaded experts and the per-slot strategy; see dispatch_strategy.h.
#include "adapt/dispatch_strategy.h"

#include <set>

#include "base/error.h"
#include "svf/svd_store.h"

namespace t2::adapt {

SvfBank load_svf_bank(const std::string& svd,
                      const std::vector<std::pair<std::string, std::string>>& experts,
                      const std::string& mixture, const model::LlamaModel& model) {
  const auto store = svf::SvdStore::open(svd);
  SvfBank b;
  std::set<std::string> matrices;
  for (const auto& [label, path] : experts) {
    const svf::Expert e = svf::load_expert(path, store);
    b.scalings[label] = svf::scaling_from_expert(e, label);
    b.order.push_back(label);
  }
  if (!mixture.empty()) {
    const svf::Mixture m = svf::load_mixture(mixture);
    const auto ex = svf::load_mixture_experts(m, mixture, store);
    b.scalings["mixture"] = svf::scaling_from_mixture(m, ex, "mixture");
    b.order.push_back("mixture");
  }
  for (const auto& [label, s] : b.scalings)
    for (const auto& [name, z] : s.z) matrices.insert(name);
  b.factors = std::make_shared<const svf::FactorSet>(svf::FactorSet::load(
      store, model, std::vector<std::string>(matrices.begin(), matrices.end())));
  return b;
}

namespace {

class ScalingStrategy final : public Strategy {
 public:
  ScalingStrategy(StrategyKind kind, std::shared_ptr<const svf::FactorSet> f,
                  const svf::ScalingSet* s, std::string label)
      : kind_(kind), factors_(std::move(f)), scaling_(s), label_(std::move(label)) {}
  StrategyKind kind() const override { return kind_; }
  std::string label() const override { return label_; }
  void apply(model::RunContext& ctx) const override {
    ctx.clear_overrides();
    svf::register_dense_overrides(ctx, *factors_, *scaling_);
  }

 private:
  StrategyKind kind_;
  std::shared_ptr<const svf::FactorSet> factors_;
  const svf::ScalingSet* scaling_;
  std::string label_;
};

}  // namespace

std::unique_ptr<Strategy> make_scaling_strategy(StrategyKind kind, const SvfBank& bank,
                                                const std::string& label) {
  auto it = bank.scalings.find(label);
  T2_CHECK(it != bank.scalings.end(), "no expert labelled '%s' is loaded", label.c_str());
  return std::make_unique<ScalingStrategy>(kind, bank.factors, &it->second, label);
}

void SlotStrategy::apply(model::RunContext& ctx) const {
  ctx.clear_overrides();
  bool any = false;
  for (const auto* s : per_slot_) any = any || s != nullptr;
  if (!any) return;  // every slot on the base model: no override at all
  svf::register_factored_overrides(ctx, *factors_, per_slot_);
}

}  // namespace t2::adapt
