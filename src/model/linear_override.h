// The SVF seam: every linear projection of the decoder (q/k/v/o, gate/up/down and the output head)
// goes through one function that first asks the RunContext for an override registered under the
// weight's canonical name (model/weight_names.h). An override replaces y = x · Wᵀ for that weight
// in this run only; the base weights are never modified. An SVF expert either supplies a dense
// recomposed weight (one expert for the whole batch) or applies its factored transform
// y = U · (s ⊙ (Vᵀ x)) with a different s per sequence, using row_seq to tell the rows apart.
// svf/ implements overrides; model/ only calls them and never knows what they are.
//
// A device backend cannot run forward() on its own buffers (it takes host rows). An override that is
// a per-slot choice among fixed matrices therefore also describes itself as data (RoutedLinear):
// the backend uploads the matrices once, caches them by their keys and runs the same routes on the
// device. An override without a description runs on the host rows (the backend copies them).
//
// Overrides are inference only: REINFORCE trains through train/decoder.h, which runs the factored
// scaling with its gradient ∂L/∂e; the scaling's own backward (e with respect to p) is in
// svf/compose.h, next to its forward.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor/dtype.h"

namespace t2::model {

// A row-major host matrix [rows, cols] of dtype, named for device caches: equal keys mean equal
// contents (a composed W' is keyed by its scaling's content; other matrices by a process-unique id).
// A matrix whose data is the overridden weight's own data is the base weight: a backend uses its
// copy of the weight and uploads nothing.
struct RoutedMatrix {
  const void* data = nullptr;
  tensor::DType dtype = tensor::DType::f32;
  int64_t rows = 0, cols = 0;
  std::string key;
};

// What serves one sequence slot: dense matrix `dense` (index into RoutedLinear::dense), or, when
// dense is -1, the factored map with scale row `scale`.
struct LinearRoute {
  int32_t dense = -1;
  int32_t scale = -1;
};

// The data of a routed override y = route(slot)(x): row i of a batch uses route_of(row_seq[i]):
//   dense g:   y = x · dense[g]ᵀ                       (dense[g] [n_out, n_in])
//   factored:  y = U · (scales[s] ⊙ (Vᵀ · x))          (vt [r, n_in], u [n_out, r], scales [n_s, r])
// Rows are grouped by what serves them, as the host forward() does. `id` is process-unique per
// description (never reused), so a backend may keep per-description uploads (the scales) by it.
// `cache_bytes` is the owner's budget for cached dense matrices (0: the backend chooses).
struct RoutedLinear {
  uint64_t id = 0;
  std::vector<RoutedMatrix> dense;
  RoutedMatrix vt, u;          // data == nullptr when no route is factored
  int64_t r = 0;
  std::vector<float> scales;   // [n_scales, r]
  std::vector<LinearRoute> slot_route;  // slot j; slots beyond use rest
  LinearRoute rest;
  size_t cache_bytes = 0;
  LinearRoute route_of(int32_t slot) const {
    return slot >= 0 && slot < static_cast<int32_t>(slot_route.size()) ? slot_route[slot] : rest;
  }
};

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

  // The same map as data for a device backend, or nullptr (then the backend calls forward() on
  // host copies of the rows). Valid as long as the override lives; must describe exactly what
  // forward() computes.
  virtual const RoutedLinear* routed() const { return nullptr; }
};

}  // namespace t2::model
