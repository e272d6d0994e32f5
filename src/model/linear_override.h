// The SVF seam: every linear projection of the decoder (q/k/v/o, gate/up/down and the output head)
// goes through one function that first asks the RunContext for an override registered under the
// weight's canonical name (model/weight_names.h). An override replaces y = x · Wᵀ for that weight
// in this run only; the base weights are never modified. An SVF expert either supplies a dense
// recomposed weight (one expert for the whole batch) or applies its factored transform
// y = U · (s ⊙ (Vᵀ x)) with a different s per sequence, using row_seq to tell the rows apart.
// svf/ implements overrides; model/ only calls them and never knows what they are.
//
// Room for training: a future `backward` (dL/dy → dL/dx and the override's own parameter
// gradients) will be added to this interface for REINFORCE; nothing here assumes it is absent.
#pragma once

#include <cstdint>
#include <span>

namespace t2::model {

struct LinearOverride {
  virtual ~LinearOverride() = default;

  // Shape the override expects: x rows have n_in() values, y rows n_out(). Checked against the
  // weight (this rank's shard under tensor parallelism) when the override is registered.
  virtual int64_t n_in() const = 0;
  virtual int64_t n_out() const = 0;

  // x: [n, n_in] f32, y: [n, n_out] f32 (overwrite, do not accumulate).
  // row_seq[i] is the RunContext sequence slot of row i (stable for the whole run: in generate()
  // and score(), slot j is request j), so per-sequence experts can pick their scaling vector.
  // Called from the forward pass of one RunContext at a time; it may use OpenMP internally but
  // must not keep pointers to x or y. Implementations must be safe to call concurrently from
  // different RunContexts if they are shared between them.
  virtual void forward(const float* x, float* y, int64_t n,
                       std::span<const int32_t> row_seq) const = 0;
};

}  // namespace t2::model
