// RunContext bookkeeping: sequence slots, overrides, hook (see run_context.h).
#include "model/run_context.h"

#include "base/error.h"

namespace t2::model {

RunContext::RunContext(std::shared_ptr<const LlamaModel> model) : model_(std::move(model)) {
  T2_CHECK(model_ != nullptr, "RunContext needs a loaded model");
  overrides_.resize(model_->weights().all().size());
  if (const DeviceModel* device = model_->device()) device_run_ = device->make_run(*model_);
}

int32_t RunContext::add_sequence(int64_t reserve_tokens) {
  const auto& c = model_->config();
  // bf16 models at the fast level keep a bf16 cache (half the bytes per decode step; the
  // fast bf16 path already rounds activations to bf16); otherwise f32.
  const bool bf16 = tensor::kernel_level() == tensor::KernelLevel::fast && c.n_layer > 0 &&
                    model_->weights().layer(0)[LayerTensor::k_proj].dtype == tensor::DType::bf16;
  // With a device run the host cache holds no layers: it only counts the slot's tokens.
  caches_.emplace_back(device_run_ ? 0 : c.n_layer, model_->n_head_kv_local(), c.head_dim,
                       bf16 ? tensor::DType::bf16 : tensor::DType::f32);
  if (reserve_tokens > 0) caches_.back().reserve(reserve_tokens);
  return static_cast<int32_t>(caches_.size() - 1);
}

KvCache& RunContext::cache(int32_t slot) {
  T2_CHECK(slot >= 0 && slot < n_sequences(), "sequence slot %d does not exist (%d slots)", slot,
           n_sequences());
  return caches_[slot];
}

int64_t RunContext::seq_len(int32_t slot) const {
  T2_CHECK(slot >= 0 && slot < n_sequences(), "sequence slot %d does not exist (%d slots)", slot,
           n_sequences());
  return caches_[slot].n_tokens();
}


void RunContext::release_sequence(int32_t slot) {
  cache(slot).release();
  if (device_run_) device_run_->release_sequence(slot);
}

void RunContext::clear_all() {
  caches_.clear();
  if (device_run_) device_run_->clear_all();
}

void RunContext::copy_sequence(int32_t src, int32_t dst) {
  if (src == dst) return;
  cache(dst).copy_from(cache(src));
  if (device_run_) device_run_->copy_sequence(src, dst);
}

size_t RunContext::kv_bytes() const {
  size_t n = 0;
  for (const auto& c : caches_) n += c.bytes();
  return device_run_ ? n + device_run_->kv_bytes() : n;
}

void RunContext::set_override(const std::string& name, std::shared_ptr<const LinearOverride> ov) {
  const Weight& w = model_->weights().get(name);
  T2_CHECK(w.cols > 1, "weight '%s' is not a matrix and cannot be overridden", name.c_str());
  if (ov) {
    T2_CHECK(ov->n_in() == w.cols && ov->n_out() == w.rows,
             "override for '%s' maps %lld -> %lld values but the weight (this rank's shard) is "
             "[%lld, %lld] (out, in); was the expert made for a different model or shard?",
             name.c_str(), static_cast<long long>(ov->n_in()),
             static_cast<long long>(ov->n_out()), static_cast<long long>(w.rows),
             static_cast<long long>(w.cols));
  }
  overrides_[w.index] = std::move(ov);
}

void RunContext::clear_overrides() {
  for (auto& o : overrides_) o.reset();
}

}  // namespace t2::model
