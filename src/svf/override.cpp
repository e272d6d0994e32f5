// Dense and factored overrides, factor loading with tensor-parallel sharding.
#include "svf/override.h"

#include <cstring>
#include <optional>
#include <set>

#include "base/error.h"
#include "model/weight_names.h"
#include "svf/checkpoint.h"
#include "svf/compose.h"
#include "svf/svd_store.h"
#include "tensor/ops.h"  // linear

namespace t2::svf {

const Svd& FactorSet::get(const std::string& name) const { return *shared(name); }

std::shared_ptr<const Svd> FactorSet::shared(const std::string& name) const {
  auto it = f_.find(name);
  T2_CHECK(it != f_.end(), "no SVD factors loaded for matrix '%s'", name.c_str());
  return it->second;
}

std::vector<std::string> FactorSet::names() const {
  std::vector<std::string> out;
  for (const auto& [n, _] : f_) out.push_back(n);
  return out;
}

Svd shard_svd(const Svd& svd, bool rows_of_u, int64_t row0, int64_t n_rows) {
  const int64_t total = rows_of_u ? svd.n_out : svd.n_in;
  T2_CHECK(row0 >= 0 && n_rows > 0 && row0 + n_rows <= total, "shard rows [%lld, %lld) outside "
           "%lld", static_cast<long long>(row0), static_cast<long long>(row0 + n_rows),
           static_cast<long long>(total));
  Svd out;
  out.r = svd.r;
  out.s = svd.s;
  const auto slice = [&](const std::vector<float>& m) {
    return std::vector<float>(m.begin() + row0 * svd.r, m.begin() + (row0 + n_rows) * svd.r);
  };
  if (rows_of_u) {
    out.n_out = n_rows;
    out.n_in = svd.n_in;
    out.u = slice(svd.u);
    out.v = svd.v;
  } else {
    out.n_out = svd.n_out;
    out.n_in = n_rows;
    out.u = svd.u;
    out.v = slice(svd.v);
  }
  return out;
}

FactorSet FactorSet::load(const SvdStore& store, const model::LlamaModel& model,
                          const std::vector<std::string>& names_in) {
  store.check_fingerprint(checkpoint_fingerprint(model.weights().files()),
                          "model '" + model.dir() + "'");
  const std::vector<std::string> names = names_in.empty() ? store.names() : names_in;
  const model::TpShard tp = model.tp();
  FactorSet set;
  for (const auto& name : names) {
    const model::Weight* w = model.weights().find(name);
    T2_CHECK(w != nullptr, "SVD store '%s' holds matrix '%s', which model '%s' does not have",
             store.path().c_str(), name.c_str(), model.dir().c_str());
    Svd svd = store.read(name);
    const auto ref = model::parse_layer_tensor_name(name);
    const bool row_parallel = ref && (ref->tensor == model::LayerTensor::o_proj ||
                                      ref->tensor == model::LayerTensor::down_proj);
    if (tp.size > 1 && ref) {
      if (row_parallel) {
        const int64_t local = svd.n_in / tp.size;
        svd = shard_svd(svd, false, tp.rank * local, local);
      } else {
        const int64_t local = svd.n_out / tp.size;
        svd = shard_svd(svd, true, tp.rank * local, local);
      }
    }
    T2_CHECK(svd.n_out == w->rows && svd.n_in == w->cols,
             "SVD store '%s', matrix '%s': factors give [%lld, %lld] but the model's weight (this "
             "rank's shard) is [%lld, %lld]", store.path().c_str(), name.c_str(),
             static_cast<long long>(svd.n_out), static_cast<long long>(svd.n_in),
             static_cast<long long>(w->rows), static_cast<long long>(w->cols));
    set.add(name, std::make_shared<const Svd>(std::move(svd)));
  }
  return set;
}

DenseOverride::DenseOverride(const Svd& svd, std::span<const float> z, tensor::DType storage,
                             const std::string& name)
    : n_out_(svd.n_out), n_in_(svd.n_in), dtype_(storage) {
  std::vector<float> w(static_cast<size_t>(n_out_ * n_in_));
  compose_dense(svd, z, w, name);
  w_.resize(w.size() * tensor::dtype_size(storage));
  tensor::convert_from_f32(w.data(), storage, w_.data(), w.size());
}

void DenseOverride::forward(const float* x, float* y, int64_t n,
                            std::span<const int32_t>) const {
  tensor::linear(x, w_.data(), dtype_, y, n, n_out_, n_in_);
}

FactoredOverride::FactoredOverride(std::shared_ptr<const Svd> svd,
                                   const std::vector<std::vector<float>>& slot_z,
                                   const std::vector<float>& rest_z, const std::string& name)
    : svd_(std::move(svd)), name_(name) {
  scales_ = svd_->s;  // entry 0: base weight (z = 1, c = 1)
  int32_t n_entries = 1;
  const auto entry_for = [&](const std::vector<float>& z) -> int32_t {
    if (z.empty()) return 0;
    const std::vector<float> e = effective_singular_values(*svd_, z, name);
    scales_.insert(scales_.end(), e.begin(), e.end());
    return n_entries++;
  };
  for (const auto& z : slot_z) slot_entry_.push_back(entry_for(z));
  rest_entry_ = entry_for(rest_z);
}

void FactoredOverride::forward(const float* x, float* y, int64_t n,
                               std::span<const int32_t> row_seq) const {
  std::vector<int32_t> entry(static_cast<size_t>(n), rest_entry_);
  for (int64_t i = 0; i < n && !row_seq.empty(); ++i) {
    const int32_t slot = row_seq[i];
    if (slot >= 0 && slot < static_cast<int32_t>(slot_entry_.size())) entry[i] = slot_entry_[slot];
  }
  apply_factored(*svd_, std::span<const float>(x, static_cast<size_t>(n * svd_->n_in)),
                 std::span<float>(y, static_cast<size_t>(n * svd_->n_out)), n, entry, scales_,
                 name_);
}

void register_dense_overrides(model::RunContext& ctx, const FactorSet& factors,
                              const ScalingSet& scaling, std::optional<tensor::DType> storage) {
  for (const auto& [name, z] : scaling.z) {
    const model::Weight& w = ctx.model().weights().get(name);
    ctx.set_override(name, std::make_shared<const DenseOverride>(factors.get(name), z,
                                                                 storage.value_or(w.dtype), name));
  }
}

void register_factored_overrides(model::RunContext& ctx, const FactorSet& factors,
                                 std::span<const ScalingSet* const> per_slot,
                                 const ScalingSet* rest) {
  std::set<std::string> names;
  for (const ScalingSet* s : per_slot)
    if (s)
      for (const auto& [n, _] : s->z) names.insert(n);
  if (rest)
    for (const auto& [n, _] : rest->z) names.insert(n);
  const auto z_of = [](const ScalingSet* s, const std::string& name) {
    std::vector<float> z;  // empty: the base weight
    if (s) {
      auto it = s->z.find(name);
      if (it != s->z.end()) z = it->second;
    }
    return z;
  };
  for (const auto& name : names) {
    std::vector<std::vector<float>> slot_z;
    for (const ScalingSet* s : per_slot) slot_z.push_back(z_of(s, name));
    ctx.set_override(name, std::make_shared<const FactoredOverride>(
                               factors.shared(name), slot_z, z_of(rest, name), name));
  }
}

}  // namespace t2::svf
