// Adaptation strategies of `t2 eval`: what weights answer a sample's second pass. A Strategy
// configures a RunContext (its weight overrides) before a batch is generated and names itself in
// the result records. This file holds the interface and the `base` strategy (no override); the
// SVF strategies (`expert`, `mixture`) are in svf_strategy.h; prompt/classifier dispatch and CEM
// plug in behind the same interface. Nothing here generates text or scores it (sample_runner.h does).
#pragma once

#include <memory>
#include <string>

#include "model/run_context.h"

namespace t2::adapt {

enum class StrategyKind { base, expert, mixture, prompt, classifier };
const char* strategy_kind_name(StrategyKind k);

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual StrategyKind kind() const = 0;
  // The name stored in each record's `expert` column ("base", an expert's task name, "mixture").
  virtual std::string label() const = 0;
  // Installs this strategy's overrides on ctx (removing any earlier ones). Called once per batch on
  // every rank of a tensor-parallel group, after the model shard is loaded. Throws t2::Error.
  virtual void apply(model::RunContext& ctx) const = 0;
};

// The unadapted model.
std::unique_ptr<Strategy> make_base_strategy();

}  // namespace t2::adapt
