// The pieces through which SVF reaches the engine's override seam (model/linear_override.h): the
// SVD factors a replica needs (FactorSet, this rank's tensor-parallel shard), matrices kept in the
// engine's storage (a composed W' or the factors U and Vᵀ, in the base weight's dtype, so that the
// engine's own fast kernels apply them), and SlotOverride, the one override class: every sequence
// slot of a batch is served either by a dense matrix (a composed W', or the base weight) or by the
// factored path y = U · (e_slot ⊙ (Vᵀ x)). Rows are grouped by what serves them; each dense group is
// one linear call, all factored rows share the two factor products. Which slots go which way is
// decided by svf/adapter.h; nothing here chooses. A SlotOverride also describes itself as data
// (model::RoutedLinear) so that a device backend runs the same routes with its own copies.
// Under tensor parallelism the factors are sharded like the weights (rows of U for the
// column-parallel q/k/v/gate/up, rows of V for the row-parallel o/down); σ, z and c stay whole,
// so the shard-local composition is exact. Everything here is immutable once built and may be
// shared between RunContexts; SlotOverride::forward is safe to call concurrently.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/linear_override.h"
#include "model/llama/model.h"
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
  std::vector<std::string> names() const;
  void add(const std::string& name, std::shared_ptr<const Svd> svd) { f_[name] = std::move(svd); }

 private:
  std::map<std::string, std::shared_ptr<const Svd>> f_;
};

// A row-major matrix [rows, cols] in the engine's storage dtype (f32, bf16 or f16), either owned
// or borrowed (the base weight, mapped from the checkpoint).
class EngineMatrix {
 public:
  EngineMatrix() = default;
  // Converts f32 values into an owned copy in dtype.
  EngineMatrix(std::span<const float> values, int64_t rows, int64_t cols, tensor::DType dtype);
  // Borrows data (must outlive every use).
  static EngineMatrix borrow(const void* data, int64_t rows, int64_t cols, tensor::DType dtype);

  // Identity of the contents for device caches: set_key's value (equal keys, equal contents),
  // else "#<n>" with n unique in the process (never reused).
  const std::string& key() const { return key_; }
  void set_key(std::string key) { key_ = std::move(key); }

  const void* data() const { return data_; }
  tensor::DType dtype() const { return dtype_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  size_t n_bytes() const { return static_cast<size_t>(rows_ * cols_) * tensor::dtype_size(dtype_); }
  // y [n, rows] = x [n, cols] · thisᵀ through the engine's kernel.
  void apply(const float* x, float* y, int64_t n) const;

 private:
  std::vector<unsigned char> owned_;
  std::string key_;
  const void* data_ = nullptr;
  tensor::DType dtype_ = tensor::DType::f32;
  int64_t rows_ = 0, cols_ = 0;
};

// The factors of one matrix for the factored path: Vᵀ [r, n_in] and U [n_out, r] in the base
// weight's dtype, and σ.
struct EngineFactors {
  EngineMatrix vt, u;
  std::vector<float> sigma;  // [r]
  int64_t r = 0;
  EngineFactors(const Svd& svd, tensor::DType dtype);
};

class SlotOverride final : public model::LinearOverride {
 public:
  // What serves a sequence slot: dense matrix `dense` (index into `matrices`), or, when dense is
  // -1, the factored path with scale row `scale` of `scales` [n_scales, r].
  using Route = model::LinearRoute;
  // slot_route[j] for slot j; slots beyond use `rest`. factors may be null when no route is
  // factored. Every dense matrix is [n_out, n_in]. cache_bytes: the budget a device backend gets
  // for its cache of dense matrices (model::RoutedLinear).
  SlotOverride(int64_t n_out, int64_t n_in, std::vector<std::shared_ptr<const EngineMatrix>> matrices,
               std::shared_ptr<const EngineFactors> factors, std::vector<float> scales,
               std::vector<Route> slot_route, Route rest, size_t cache_bytes = 0);

  int64_t n_in() const override { return n_in_; }
  int64_t n_out() const override { return n_out_; }
  void forward(const float* x, float* y, int64_t n,
               std::span<const int32_t> row_seq) const override;
  const model::RoutedLinear* routed() const override { return &routed_; }

 private:
  Route route_of(int32_t slot) const;
  // Rows [n] all served by dense matrix g, or (g == -1) all factored with scale rows row_scale.
  void run_group(int32_t g, const float* x, float* y, int64_t n, const int32_t* row_scale) const;

  int64_t n_out_, n_in_;
  std::vector<std::shared_ptr<const EngineMatrix>> matrices_;
  std::shared_ptr<const EngineFactors> factors_;
  model::RoutedLinear routed_;  // scales [n_scales, r], slot routes and rest live here
  bool uniform_ = false;  // every slot routed like the rest route: no grouping needed
};

}  // namespace t2::svf
