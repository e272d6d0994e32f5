// Factor loading with tensor-parallel sharding, engine-stored matrices and the slot override.
#include "svf/override.h"

#include <atomic>
#include <cstring>

#include "base/error.h"
#include "model/fingerprint.h"
#include "model/weight_names.h"
#include "svf/svd_store.h"
#include "tensor/ops.h"  // linear

namespace t2::svf {

namespace {

// Process-unique serial numbers (EngineMatrix keys, RoutedLinear ids); never reused.
uint64_t next_serial() {
  static std::atomic<uint64_t> n{0};
  return ++n;
}

std::string serial_key() { return "#" + std::to_string(next_serial()); }

model::RoutedMatrix routed_matrix(const EngineMatrix& m) {
  return {m.data(), m.dtype(), m.rows(), m.cols(), m.key()};
}

}  // namespace

const Svd& FactorSet::get(const std::string& name) const {
  auto it = f_.find(name);
  T2_CHECK(it != f_.end(), "no SVD factors loaded for matrix '%s'", name.c_str());
  return *it->second;
}

std::vector<std::string> FactorSet::names() const {
  std::vector<std::string> out;
  for (const auto& [n, _] : f_) out.push_back(n);
  return out;
}

FactorSet FactorSet::load(const SvdStore& store, const model::LlamaModel& model,
                          const std::vector<std::string>& names_in) {
  store.check_fingerprint(model::checkpoint_fingerprint(model.weights()),
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

EngineMatrix::EngineMatrix(std::span<const float> values, int64_t rows, int64_t cols,
                           tensor::DType dtype)
    : key_(serial_key()), dtype_(dtype), rows_(rows), cols_(cols) {
  T2_CHECK(static_cast<int64_t>(values.size()) == rows * cols, "engine matrix: %zu values for "
           "[%lld, %lld]", values.size(), static_cast<long long>(rows), static_cast<long long>(cols));
  owned_.resize(values.size() * tensor::dtype_size(dtype));
  tensor::convert_from_f32(values.data(), dtype, owned_.data(), values.size());
  data_ = owned_.data();
}

EngineMatrix EngineMatrix::borrow(const void* data, int64_t rows, int64_t cols,
                                  tensor::DType dtype) {
  EngineMatrix m;
  m.key_ = serial_key();
  m.data_ = data;
  m.rows_ = rows;
  m.cols_ = cols;
  m.dtype_ = dtype;
  return m;
}

void EngineMatrix::apply(const float* x, float* y, int64_t n) const {
  tensor::linear(x, data_, dtype_, y, n, rows_, cols_);
}

EngineFactors::EngineFactors(const Svd& svd, tensor::DType dtype) : sigma(svd.s), r(svd.r) {
  std::vector<float> vt(static_cast<size_t>(svd.r * svd.n_in));  // [r, n_in]
  for (int64_t j = 0; j < svd.n_in; ++j)
    for (int64_t k = 0; k < svd.r; ++k) vt[k * svd.n_in + j] = svd.v[j * svd.r + k];
  this->vt = EngineMatrix(vt, svd.r, svd.n_in, dtype);
  u = EngineMatrix(svd.u, svd.n_out, svd.r, dtype);
}

SlotOverride::SlotOverride(int64_t n_out, int64_t n_in,
                           std::vector<std::shared_ptr<const EngineMatrix>> matrices,
                           std::shared_ptr<const EngineFactors> factors, std::vector<float> scales,
                           std::vector<Route> slot_route, Route rest, size_t cache_bytes)
    : n_out_(n_out), n_in_(n_in), matrices_(std::move(matrices)), factors_(std::move(factors)) {
  routed_.id = next_serial();
  routed_.scales = std::move(scales);
  routed_.slot_route = std::move(slot_route);
  routed_.rest = rest;
  routed_.cache_bytes = cache_bytes;
  for (const auto& m : matrices_) {
    T2_CHECK(m && m->rows() == n_out && m->cols() == n_in, "slot override: a dense matrix is not "
             "[%lld, %lld]", static_cast<long long>(n_out), static_cast<long long>(n_in));
    routed_.dense.push_back(routed_matrix(*m));
  }
  if (factors_) {
    routed_.vt = routed_matrix(factors_->vt);
    routed_.u = routed_matrix(factors_->u);
    routed_.r = factors_->r;
  }
  const int64_t r = factors_ ? factors_->r : 0;
  const int64_t n_scales = r > 0 ? static_cast<int64_t>(routed_.scales.size()) / r : 0;
  uniform_ = true;
  for (const Route& rt : routed_.slot_route) {
    T2_CHECK(rt.dense >= 0 ? rt.dense < static_cast<int32_t>(matrices_.size())
                           : factors_ && rt.scale >= 0 && rt.scale < n_scales,
             "slot override: a slot is routed to a matrix or scale that does not exist");
    uniform_ = uniform_ && rt.dense == routed_.rest.dense && rt.scale == routed_.rest.scale;
  }
}

SlotOverride::Route SlotOverride::route_of(int32_t slot) const { return routed_.route_of(slot); }

void SlotOverride::run_group(int32_t g, const float* x, float* y, int64_t n,
                             const int32_t* row_scale) const {
  if (g >= 0) {
    matrices_[g]->apply(x, y, n);
    return;
  }
  const int64_t r = factors_->r;
  thread_local std::vector<float> t;  // [n, r] = x · V, then ⊙ e per row
  t.resize(static_cast<size_t>(n * r));
  factors_->vt.apply(x, t.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    const float* e = routed_.scales.data() + static_cast<int64_t>(row_scale[i]) * r;
    float* ti = t.data() + i * r;
    for (int64_t k = 0; k < r; ++k) ti[k] *= e[k];
  }
  factors_->u.apply(t.data(), y, n);  // [n, n_out] = t · Uᵀ
}

void SlotOverride::forward(const float* x, float* y, int64_t n,
                           std::span<const int32_t> row_seq) const {
  if (n == 0) return;
  thread_local std::vector<int32_t> scale;  // per row: its scale row (factored rows)
  if (uniform_ || row_seq.empty()) {
    const Route rt = row_seq.empty() ? route_of(0) : routed_.rest;
    scale.assign(static_cast<size_t>(n), rt.scale);
    run_group(rt.dense, x, y, n, scale.data());
    return;
  }
  // Group rows: one group per dense matrix, one (-1) for every factored row. A batch whose rows
  // are all served the same way runs without copying.
  thread_local std::vector<int32_t> group, rows, sg;
  group.resize(static_cast<size_t>(n));
  scale.resize(static_cast<size_t>(n));
  bool same = true;
  for (int64_t i = 0; i < n; ++i) {
    const Route rt = route_of(row_seq[i]);
    group[i] = rt.dense;
    scale[i] = rt.scale;
    same = same && group[i] == group[0];
  }
  if (same) {
    run_group(group[0], x, y, n, scale.data());
    return;
  }
  thread_local std::vector<float> xg, yg;
  for (int32_t g = -1; g < static_cast<int32_t>(matrices_.size()); ++g) {
    rows.clear();
    sg.clear();
    for (int64_t i = 0; i < n; ++i)
      if (group[i] == g) rows.push_back(static_cast<int32_t>(i)), sg.push_back(scale[i]);
    const int64_t m = static_cast<int64_t>(rows.size());
    if (m == 0) continue;
    xg.resize(static_cast<size_t>(m * n_in_));
    yg.resize(static_cast<size_t>(m * n_out_));
    for (int64_t i = 0; i < m; ++i)
      std::memcpy(xg.data() + i * n_in_, x + rows[i] * n_in_, sizeof(float) * n_in_);
    run_group(g, xg.data(), yg.data(), m, sg.data());
    for (int64_t i = 0; i < m; ++i)
      std::memcpy(y + rows[i] * n_out_, yg.data() + i * n_out_, sizeof(float) * n_out_);
  }
}

}  // namespace t2::svf
