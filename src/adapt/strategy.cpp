// The base strategy; see strategy.h.
#include "adapt/strategy.h"

namespace t2::adapt {

const char* strategy_kind_name(StrategyKind k) {
  switch (k) {
    case StrategyKind::base: return "base";
    case StrategyKind::expert: return "expert";
    case StrategyKind::mixture: return "mixture";
    case StrategyKind::prompt: return "prompt";
    case StrategyKind::classifier: return "classifier";
  }
  return "?";
}

namespace {

class BaseStrategy final : public Strategy {
 public:
  StrategyKind kind() const override { return StrategyKind::base; }
  std::string label() const override { return "base"; }
  void apply(model::RunContext& ctx) const override { ctx.clear_overrides(); }
};

}  // namespace

std::unique_ptr<Strategy> make_base_strategy() { return std::make_unique<BaseStrategy>(); }

}  // namespace t2::adapt
