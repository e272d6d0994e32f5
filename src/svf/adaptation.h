// What every model-running command needs to apply SVF: the options --svd, --expert / --mixture and
// --svf-apply (dense | factored), written once here for all commands (logprobs, generate, eval ...),
// loading with every cross-check (store ↔ model checkpoint, expert/mixture ↔ store), and the
// registration of the overrides on a RunContext. The base model is never modified.
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <string>
#include <vector>

#include "model/llama/model.h"
#include "model/run_context.h"
#include "svf/mixture.h"
#include "svf/override.h"

namespace t2::svf {

struct AdaptationOptions {
  std::string svd;      // SVD store; required with --expert or --mixture
  std::string expert;   // expert file
  std::string mixture;  // mixture file (its experts are loaded from the paths it records)
  std::string apply = "dense";  // dense: recompose W' once; factored: y = U((σ⊙z·c)⊙(Vᵀx))
};

// Registers --svd, --expert, --mixture and --svf-apply on desc, bound to o.
void add_adaptation_options(boost::program_options::options_description& desc,
                            AdaptationOptions& o);
// Every problem with the combination (empty when fine): both --expert and --mixture, either
// without --svd, --svd alone, an unknown --svf-apply.
std::vector<std::string> validate_adaptation_options(const AdaptationOptions& o);
// Throws t2::Error listing every problem; call right after parsing, before loading the model.
void check_adaptation_options(const AdaptationOptions& o);

// The loaded, checked adaptation of one run. Inactive (base model) when no expert or mixture.
struct Adaptation {
  bool active = false;
  bool factored = false;
  std::string description;  // "base model", "expert 'gsm8k' (FILE)", "mixture FILE: math=0.5 ..."
  std::shared_ptr<const FactorSet> factors;
  ScalingSet scaling;
};

// Loads and checks everything against the model (throws t2::Error naming the file and matrix).
Adaptation load_adaptation(const AdaptationOptions& o, const model::LlamaModel& model);

// Registers the overrides on ctx (no-op for the base model). Dense pays one recomposition per
// matrix here; factored applies the same z to every sequence slot.
void apply_adaptation(model::RunContext& ctx, const Adaptation& a);

}  // namespace t2::svf
