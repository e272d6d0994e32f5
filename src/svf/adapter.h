// The one door through which SVF experts reach a forward pass. Every consumer — evaluation of an
// expert or a mixture, both passes of two-pass dispatch, CEM candidate scoring, REINFORCE rollouts,
// generate and logprobs — describes a batch as "sequence slot j uses scaling per_slot[j]" (nullptr:
// the base weights) and calls attach(); the Adapter registers one SlotOverride per adapted matrix
// on the RunContext (svf/override.h). Each distinct scaling of the batch is served either
//   dense:    W' = U · diag(σ ⊙ z · c) · Vᵀ composed once, stored in the base weight's dtype and
//             applied by the engine's own kernels; compositions are cached by the scaling's content
//             (ScalingSet::key) and reused by later batches (LRU within a byte budget), or
//   factored: y = U · (e ⊙ (Vᵀ x)) with U and Vᵀ kept once in the base weight's dtype, all factored
//             rows of a step sharing the two factor products,
// chosen by an estimate of the batch's cost (ApplyMode::automatic; bytes the steps read, the
// kernels' flops and the compositions, amortised over the batches they serve) — a function of the
// batch alone, so every worker makes the same choice for the same unit — or forced by ApplyMode.
// Both give the same result up to rounding: exactly for f32 models; with bf16 weights the factors
// are kept in bf16 too, which perturbs W' by about one bf16 rounding (dense W' is rounded once, as
// the base weights are). Base slots always use the base weight.
// One Adapter per model replica, used from one thread (it owns the cache). Under tensor
// parallelism every rank of a group makes the same choices (shapes scale alike, caches see the same
// batches), which keeps their collectives in step.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/run_context.h"
#include "svf/compose.h"
#include "svf/override.h"

namespace t2::svf {

enum class ApplyMode { automatic, dense, factored };
ApplyMode parse_apply_mode(const std::string& text);  // "auto" | "dense" | "factored"
const char* apply_mode_name(ApplyMode m);

// What the batch will do, for the cost estimate (sizes in tokens).
struct Workload {
  std::vector<int64_t> prompt_tokens;  // per slot
  std::vector<int64_t> new_tokens;     // per slot: the generation limit (1 when only scoring)
  // How many batches a composition is expected to serve (its cost is divided by this): experts and
  // saved mixtures are reused across the units of a run; CEM candidates and training iterates
  // are not.
  double reuse = 1.0;
};

struct AttachStats {
  int n_distinct = 0;   // distinct non-base scalings in the batch
  int n_dense = 0;      // of which served dense
  int n_composed = 0;   // dense compositions made now (not from the cache)
  double seconds = 0;   // wall time of attach(), compositions included
};

class Adapter {
 public:
  // factors: the adapted matrices' factors (this rank's shard); may be null for a base-only run.
  // cache_bytes: budget of the dense composition cache (0: twice the bytes of the adapted base
  // matrices, i.e. about two experts).
  Adapter(const model::LlamaModel& model, std::shared_ptr<const FactorSet> factors,
          ApplyMode mode = ApplyMode::automatic, size_t cache_bytes = 0);

  // Replaces ctx's overrides: slot j uses per_slot[j] (nullptr: base), slots beyond use `rest`.
  // Every scaling must adapt only matrices in the factor set. Throws t2::Error (naming the
  // matrix) for a scaling without a defined composition.
  AttachStats attach(model::RunContext& ctx, std::span<const ScalingSet* const> per_slot,
                     const Workload& work, const ScalingSet* rest = nullptr);

  ApplyMode mode() const { return mode_; }

 private:
  struct Composed {
    std::map<std::string, std::shared_ptr<const EngineMatrix>> w;  // matrix → W'
    size_t bytes = 0;
  };
  std::shared_ptr<const Composed> composed(const ScalingSet& s, bool* made);
  const EngineFactors& engine_factors(const std::string& name);

  const model::LlamaModel& model_;
  std::shared_ptr<const FactorSet> factors_;
  ApplyMode mode_;
  size_t cache_budget_ = 0, cache_bytes_used_ = 0;
  std::list<std::pair<std::string, std::shared_ptr<const Composed>>> cache_;  // most recent first
  std::map<std::string, std::shared_ptr<const EngineFactors>> engine_factors_;
  std::map<std::string, std::shared_ptr<const EngineMatrix>> base_;  // borrowed base weights
};

}  // namespace t2::svf
