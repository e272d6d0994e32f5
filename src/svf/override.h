// SVF experts applied to a run through the engine's override seam (model/linear_override.h).
// The base model is never modified: a RunContext gets one override per adapted matrix.
//   Dense:    W' = U · diag(σ ⊙ z · c) · Vᵀ recomposed once, stored in the base weight's dtype
//             (bf16/f16/f32) and applied by the engine's own linear kernel. One expert per batch.
//   Factored: y = U · ((σ ⊙ z_seq · c_seq) ⊙ (Vᵀ x)), a different z for every sequence slot of a
//             batch (slot without a scaling: z = 1, the base weight up to fp32 reconstruction).
// Under tensor parallelism the factors are sharded like the weights (rows of U for the
// column-parallel q/k/v/gate/up, rows of V for the row-parallel o/down); σ, z and c stay whole,
// so the shard-local composition is exact. Overrides are immutable once built and may be shared
// between RunContexts.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/linear_override.h"
#include "model/llama/model.h"
#include "model/run_context.h"
#include "svf/mixture.h"
#include "svf/svd.h"
#include "tensor/dtype.h"

namespace t2::svf {

class SvdStore;

// The factors of the adapted matrices as this rank needs them. Shared, read-only after load.
class FactorSet {
 public:
  // Reads `names` from the store (all of the store's matrices when empty), checks the store's
  // fingerprint against the model's checkpoint and every shape against the model's weights, and
  // keeps this rank's shard. Memory: (n_out + n_in) · r floats per matrix (shard share).
  static FactorSet load(const SvdStore& store, const model::LlamaModel& model,
                        const std::vector<std::string>& names = {});

  bool has(const std::string& name) const { return f_.count(name) > 0; }
  const Svd& get(const std::string& name) const;
  std::shared_ptr<const Svd> shared(const std::string& name) const;
  std::vector<std::string> names() const;

  void add(const std::string& name, std::shared_ptr<const Svd> svd) { f_[name] = std::move(svd); }

 private:
  std::map<std::string, std::shared_ptr<const Svd>> f_;
};

// Rows [row0, row0 + n_rows) of U (column-parallel shard) or of V (row-parallel shard); r, σ kept.
Svd shard_svd(const Svd& svd, bool rows_of_u, int64_t row0, int64_t n_rows);

class DenseOverride final : public model::LinearOverride {
 public:
  DenseOverride(const Svd& svd, std::span<const float> z, tensor::DType storage,
                const std::string& name);
  int64_t n_in() const override { return n_in_; }
  int64_t n_out() const override { return n_out_; }
  void forward(const float* x, float* y, int64_t n,
               std::span<const int32_t> row_seq) const override;
  const void* data() const { return w_.data(); }
  tensor::DType dtype() const { return dtype_; }

 private:
  int64_t n_out_, n_in_;
  tensor::DType dtype_;
  std::vector<unsigned char> w_;  // [n_out, n_in] in dtype_
};

class FactoredOverride final : public model::LinearOverride {
 public:
  // slot_z[j]: z for sequence slot j (empty vector: base weight). Slots ≥ slot_z.size() use
  // rest_z (empty: base weight).
  FactoredOverride(std::shared_ptr<const Svd> svd, const std::vector<std::vector<float>>& slot_z,
                   const std::vector<float>& rest_z, const std::string& name);
  int64_t n_in() const override { return svd_->n_in; }
  int64_t n_out() const override { return svd_->n_out; }
  void forward(const float* x, float* y, int64_t n,
               std::span<const int32_t> row_seq) const override;

 private:
  std::shared_ptr<const Svd> svd_;
  std::string name_;
  std::vector<float> scales_;       // [n_entries, r]; entry 0 = base (σ)
  std::vector<int32_t> slot_entry_; // slot → entry
  int32_t rest_entry_ = 0;          // entry of slots beyond slot_entry_
};

// Registers a dense override on ctx for every matrix of `scaling` (composition cost paid here:
// one sgemm per matrix). storage: the dtype W' is kept in; default the base weight's dtype.
void register_dense_overrides(model::RunContext& ctx, const FactorSet& factors,
                              const ScalingSet& scaling,
                              std::optional<tensor::DType> storage = std::nullopt);

// Registers factored overrides: sequence slot j uses per_slot[j] (nullptr: base weights), slots
// beyond per_slot use `rest` (nullptr: base weights). Every matrix named by any of the scalings
// is overridden.
void register_factored_overrides(model::RunContext& ctx, const FactorSet& factors,
                                 std::span<const ScalingSet* const> per_slot,
                                 const ScalingSet* rest = nullptr);

}  // namespace t2::svf
