// What a model-running command needs to apply one SVF expert or mixture to all its sequences: the
// options --svd, --expert / --mixture, --svf-apply and --svf-cache-mb, written once here (generate,
// logprobs), loading with every cross-check (store ↔ model checkpoint, expert/mixture ↔ store) into
// an expert bank, and the attachment through the SVF door (adapter.h). The base model is never
// modified.
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <string>
#include <vector>

#include "model/llama/model.h"
#include "model/run_context.h"
#include "svf/adapter.h"
#include "svf/bank.h"

namespace t2::svf {

struct AdaptationOptions {
  std::string svd;      // SVD store; required with --expert or --mixture
  std::string expert;   // expert file
  std::string mixture;  // mixture file (its experts are loaded from the paths it records)
  std::string apply = "auto";  // auto | dense | factored (adapter.h)
  int64_t cache_mb = 0;        // dense composition cache (0: about two experts)
};

// Registers --svf-apply and --svf-cache-mb (how scalings reach the model; every command that
// applies experts has them).
void add_apply_options(boost::program_options::options_description& desc, std::string& apply,
                       int64_t& cache_mb);
// Registers --svd, --expert, --mixture, --svf-apply and --svf-cache-mb on desc, bound to o.
void add_adaptation_options(boost::program_options::options_description& desc,
                            AdaptationOptions& o);
// Every problem with the combination (empty when fine): both --expert and --mixture, either
// without --svd, --svd alone, an unknown --svf-apply.
std::vector<std::string> validate_adaptation_options(const AdaptationOptions& o);
// Throws t2::Error listing every problem; call right after parsing, before loading the model.
void check_adaptation_options(const AdaptationOptions& o);

// The loaded, checked adaptation of one run. Inactive (base model) when no expert or mixture.
struct Adaptation {
  std::string description = "base model";  // "expert 'gsm8k' (FILE)", "mixture FILE: math=0.5 ..."
  ExpertBank bank;                          // "expert" or "mixture", factors loaded
  ApplyMode mode = ApplyMode::automatic;
  size_t cache_bytes = 0;
  const ScalingSet* scaling() const;        // nullptr for the base model
};

// Loads and checks everything against the model (throws t2::Error naming the file and matrix).
Adaptation load_adaptation(const AdaptationOptions& o, const model::LlamaModel& model);

// An adapter for the run's model (the door through which `a` is attached to a RunContext).
Adapter make_adapter(const model::LlamaModel& model, const Adaptation& a);

}  // namespace t2::svf
