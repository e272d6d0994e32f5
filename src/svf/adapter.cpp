// The SVF door: per-batch choice between dense compositions and factored scaling; see adapter.h.
//
// Cost model (ApplyMode::automatic), in bytes read, with flops converted at kFlopsPerByte (kernels)
// and kComposeFlopsPerByte (the f32 composition gemm and its conversion). For the adapted matrices
// of one batch, with S = decode steps (the largest generation limit) and rows(s) = prompt + new
// tokens of the slots using scaling s:
//   dense s:     composition / reuse  +  S · bytes(W)  +  rows(s) · flops_dense
//   factored s:  rows(s) · flops_factored,  plus once for all factored scalings  S · bytes(U, Vᵀ)
// Every scaling goes the cheaper way given that the factor read is shared; when all-dense is
// cheaper than that mix, all go dense. The choice depends on the batch alone, never on what the
// cache holds (a cached composition only makes the dense way cheaper than estimated): the two
// ways round differently, and a unit's results must not depend on which batches a worker ran
// before it (results independent of the rank count and of scheduling).
#include "svf/adapter.h"

#include <algorithm>
#include <set>

#include "base/error.h"
#include "base/log.h"
#include "base/timer.h"

namespace t2::svf {

namespace {

constexpr double kFlopsPerByte = 16.0;
constexpr double kComposeFlopsPerByte = 4.0;

}  // namespace

ApplyMode parse_apply_mode(const std::string& text) {
  if (text == "auto") return ApplyMode::automatic;
  if (text == "dense") return ApplyMode::dense;
  if (text == "factored") return ApplyMode::factored;
  T2_FAIL("--svf-apply must be auto, dense or factored, got '%s'", text.c_str());
}

const char* apply_mode_name(ApplyMode m) {
  switch (m) {
    case ApplyMode::automatic: return "auto";
    case ApplyMode::dense: return "dense";
    case ApplyMode::factored: return "factored";
  }
  return "?";
}

Adapter::Adapter(const model::LlamaModel& model, std::shared_ptr<const FactorSet> factors,
                 ApplyMode mode, size_t cache_bytes)
    : model_(model), factors_(std::move(factors)), mode_(mode), cache_budget_(cache_bytes) {
  if (cache_budget_ == 0 && factors_) {
    for (const std::string& name : factors_->names())
      cache_budget_ += 2 * model_.weights().get(name).n_bytes();
  }
}

const EngineFactors& Adapter::engine_factors(const std::string& name) {
  auto it = engine_factors_.find(name);
  if (it == engine_factors_.end()) {
    const tensor::DType dtype = model_.weights().get(name).dtype;
    it = engine_factors_.emplace(name, std::make_shared<const EngineFactors>(factors_->get(name),
                                                                             dtype)).first;
  }
  return *it->second;
}

std::shared_ptr<const Adapter::Composed> Adapter::composed(const ScalingSet& s, bool* made) {
  const std::string key = s.key();
  for (auto it = cache_.begin(); it != cache_.end(); ++it) {
    if (it->first != key) continue;
    cache_.splice(cache_.begin(), cache_, it);  // most recently used first
    *made = false;
    return cache_.front().second;
  }
  auto c = std::make_shared<Composed>();
  std::vector<float> w;
  for (const auto& [name, z] : s.z) {
    const Svd& svd = factors_->get(name);
    w.resize(static_cast<size_t>(svd.n_out * svd.n_in));
    compose_dense(svd, z, w, name);
    auto m = std::make_shared<EngineMatrix>(w, svd.n_out, svd.n_in,
                                            model_.weights().get(name).dtype);
    m->set_key(key + "|" + name);  // a device backend caches W' by this content key
    c->bytes += m->n_bytes();
    c->w.emplace(name, std::move(m));
  }
  *made = true;
  cache_.emplace_front(key, c);
  cache_bytes_used_ += c->bytes;
  while (cache_bytes_used_ > cache_budget_ && cache_.size() > 1) {
    cache_bytes_used_ -= cache_.back().second->bytes;
    cache_.pop_back();
  }
  return c;
}

AttachStats Adapter::attach(model::RunContext& ctx, std::span<const ScalingSet* const> per_slot,
                            const Workload& work, const ScalingSet* rest) {
  const Timer timer;
  AttachStats st;
  ctx.clear_overrides();
  // Distinct scalings by content; slot → index of its scaling (-1: base).
  std::vector<const ScalingSet*> distinct;
  std::vector<std::string> keys;
  const auto index_of = [&](const ScalingSet* s) -> int32_t {
    if (s == nullptr) return -1;
    const std::string k = s->key();
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == k) return static_cast<int32_t>(i);
    distinct.push_back(s);
    keys.push_back(k);
    return static_cast<int32_t>(distinct.size() - 1);
  };
  std::vector<int32_t> slot_idx;
  for (const ScalingSet* s : per_slot) slot_idx.push_back(index_of(s));
  const int32_t rest_idx = index_of(rest);
  st.n_distinct = static_cast<int>(distinct.size());
  if (distinct.empty()) {
    st.seconds = timer.seconds();
    return st;
  }
  T2_CHECK(factors_ != nullptr, "an SVF scaling was given but no SVD factors are loaded");
  std::set<std::string> matrices;
  for (const ScalingSet* s : distinct)
    for (const auto& [name, _] : s->z) {
      T2_CHECK(factors_->has(name), "scaling '%s' adapts '%s', which has no SVD factors here",
               s->label.c_str(), name.c_str());
      matrices.insert(name);
    }

  // Decide dense or factored per distinct scaling.
  std::vector<char> dense(distinct.size(), mode_ == ApplyMode::dense);
  if (mode_ == ApplyMode::automatic) {
    double w_bytes = 0, f_bytes = 0, dense_flops = 0, fact_flops = 0, compose_flops = 0;
    for (const std::string& name : matrices) {
      const Svd& svd = factors_->get(name);
      const double b = static_cast<double>(tensor::dtype_size(model_.weights().get(name).dtype));
      const double o = static_cast<double>(svd.n_out), i = static_cast<double>(svd.n_in);
      const double r = static_cast<double>(svd.r);
      w_bytes += o * i * b;
      f_bytes += (o + i) * r * b;
      dense_flops += 2 * o * i;
      fact_flops += 2 * r * (o + i);
      compose_flops += 2 * o * i * r + o * i * 4 * kComposeFlopsPerByte;
    }
    double steps = 0;
    for (int64_t n : work.new_tokens) steps = std::max(steps, static_cast<double>(n));
    std::vector<double> rows(distinct.size(), 0.0);
    for (size_t j = 0; j < slot_idx.size(); ++j) {
      if (slot_idx[j] < 0) continue;
      const double p = j < work.prompt_tokens.size() ? static_cast<double>(work.prompt_tokens[j]) : 0;
      const double g = j < work.new_tokens.size() ? static_cast<double>(work.new_tokens[j]) : 0;
      rows[slot_idx[j]] += p + g;
    }
    const double reuse = std::max(1.0, work.reuse);
    double all_dense = 0, mixed = steps * f_bytes;
    std::vector<char> cheaper_dense(distinct.size());
    for (size_t s = 0; s < distinct.size(); ++s) {
      const double a = compose_flops / kComposeFlopsPerByte / reuse + steps * w_bytes +
                       rows[s] * dense_flops / kFlopsPerByte;
      const double c = rows[s] * fact_flops / kFlopsPerByte;
      all_dense += a;
      mixed += std::min(a, c);
      cheaper_dense[s] = a <= c;
    }
    for (size_t s = 0; s < distinct.size(); ++s) dense[s] = all_dense <= mixed || cheaper_dense[s];
  }

  // Build the overrides: dense matrices first (per scaling), factored scale rows after.
  std::vector<std::shared_ptr<const Composed>> comp(distinct.size());
  for (size_t s = 0; s < distinct.size(); ++s) {
    if (!dense[s]) continue;
    bool made = false;
    comp[s] = composed(*distinct[s], &made);
    ++st.n_dense;
    st.n_composed += made ? 1 : 0;
  }
  for (const std::string& name : matrices) {
    const model::Weight& w = model_.weights().get(name);
    std::vector<std::shared_ptr<const EngineMatrix>> mats;
    std::vector<SlotOverride::Route> route_of_idx(distinct.size());
    std::vector<float> scales;
    std::shared_ptr<const EngineFactors> f;
    int32_t base_matrix = -1;
    const auto base = [&]() {
      if (base_matrix < 0) {
        auto it = base_.find(name);
        if (it == base_.end())
          it = base_.emplace(name, std::make_shared<const EngineMatrix>(EngineMatrix::borrow(
                                       w.data, w.rows, w.cols, w.dtype))).first;
        mats.push_back(it->second);
        base_matrix = static_cast<int32_t>(mats.size() - 1);
      }
      return SlotOverride::Route{base_matrix, -1};
    };
    for (size_t s = 0; s < distinct.size(); ++s) {
      auto zt = distinct[s]->z.find(name);
      if (zt == distinct[s]->z.end()) {
        route_of_idx[s] = base();  // this scaling leaves the matrix as it is
      } else if (dense[s]) {
        mats.push_back(comp[s]->w.at(name));
        route_of_idx[s] = {static_cast<int32_t>(mats.size() - 1), -1};
      } else {
        if (!f) {
          engine_factors(name);
          f = engine_factors_.at(name);
        }
        const auto e = effective_singular_values(f->sigma, zt->second, name);
        route_of_idx[s] = {-1, static_cast<int32_t>(scales.size() / e.size())};
        scales.insert(scales.end(), e.begin(), e.end());
      }
    }
    std::vector<SlotOverride::Route> slot_route;
    for (int32_t i : slot_idx) slot_route.push_back(i >= 0 ? route_of_idx[i] : base());
    const SlotOverride::Route rest_route = rest_idx >= 0 ? route_of_idx[rest_idx] : base();
    ctx.set_override(name, std::make_shared<const SlotOverride>(w.rows, w.cols, std::move(mats), f,
                                                                std::move(scales),
                                                                std::move(slot_route), rest_route,
                                                                cache_budget_));
  }
  st.seconds = timer.seconds();
  return st;
}

}  // namespace t2::svf
