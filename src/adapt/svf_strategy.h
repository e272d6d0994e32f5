// The SVF strategies of `t2 eval`: one expert (`--svd S --expert E`) or a mixture of experts
// (`--svd S --mixture M`) applied to every sample's generation through the engine's override seam.
// Construction loads the SVD factors this rank needs (its tensor-parallel shard), checks store,
// expert/mixture and model against each other (svf/ does the checking and names the mismatch),
// and recomposes W' = U · diag(σ ⊙ z · c) · Vᵀ once per adapted matrix in the base weight's dtype;
// apply() then only registers the prepared overrides, so a batch pays no composition cost.
#pragma once

#include <memory>
#include <string>

#include "adapt/strategy.h"
#include "model/llama/model.h"

namespace t2::adapt {

// Throws t2::Error (naming files and matrices) when the inputs do not fit the model.
std::unique_ptr<Strategy> make_expert_strategy(const std::string& svd_path,
                                               const std::string& expert_path,
                                               const model::LlamaModel& model);
std::unique_ptr<Strategy> make_mixture_strategy(const std::string& svd_path,
                                                const std::string& mixture_path,
                                                const model::LlamaModel& model);

}  // namespace t2::adapt
