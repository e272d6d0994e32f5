// RunContext: the mutable per-run state of a LlamaModel — one KV cache per sequence slot, scratch
// buffers reused across steps (no per-token allocation once warm), the active weight overrides
// (the SVF seam, model/linear_override.h) and the tensor-parallel all-reduce hook. One RunContext
// is used by one thread at a time; several may share one model.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/kv_cache.h"
#include "model/linear_override.h"
#include "model/llama/model.h"

namespace t2::model {

// Observes the residual stream after each decoder layer: x[n, n_embd] for the n rows of the batch,
// row_seq[i] = sequence slot of row i. For analysis and the per-layer hooks of later passes; it
// must not keep the pointer. Costs nothing when unset.
using LayerObserver =
    std::function<void(int64_t layer, const float* x, int64_t n, std::span<const int32_t> row_seq)>;

// AllReduceFn (model/device_forward.h): the tensor-parallel group's in-place sum.

class RunContext {
 public:
  explicit RunContext(std::shared_ptr<const LlamaModel> model);

  const LlamaModel& model() const { return *model_; }

  // Sequence slots. add_sequence returns a new empty slot (reserve_tokens: capacity to allocate
  // now, so that generation never reallocates).
  int32_t add_sequence(int64_t reserve_tokens = 0);
  int32_t n_sequences() const { return static_cast<int32_t>(caches_.size()); }
  int64_t seq_len(int32_t slot) const;
  void release_sequence(int32_t slot);  // empties the slot and frees its cache memory
  void clear_all();  // drops every slot (keeps scratch memory)
  // Copies the cache of slot src into slot dst (dst gets src's tokens; a shared prompt prefilled
  // once). Cost: one copy of src's keys and values.
  void copy_sequence(int32_t src, int32_t dst);
  KvCache& cache(int32_t slot);
  size_t kv_bytes() const;

  // Registers `ov` for the weight with this canonical name (must be a projection or the head of
  // the model; its n_in/n_out must match the weight as loaded on this rank). nullptr removes it.
  void set_override(const std::string& name, std::shared_ptr<const LinearOverride> ov);
  void clear_overrides();
  const LinearOverride* override_for(int32_t weight_index) const {
    return overrides_[weight_index].get();
  }

  // Required when the model is a tensor-parallel shard (tp.size > 1); ignored otherwise.
  void set_all_reduce(AllReduceFn fn) { all_reduce_ = std::move(fn); }
  const AllReduceFn& all_reduce() const { return all_reduce_; }

  void set_layer_observer(LayerObserver fn) { layer_observer_ = std::move(fn); }
  const LayerObserver& layer_observer() const { return layer_observer_; }

  // Output of the last forward: final hidden states of the requested rows [n_out, n_embd] and the
  // sequence slot of each of them.
  const float* hidden() const { return hidden_.data(); }
  const std::vector<int32_t>& hidden_seq() const { return hidden_seq_; }

  // The device side of this run when the model has one (model/device_forward.h): the key/value
  // caches then live on the device and the host KvCache of a slot only counts its tokens.
  DeviceRun* device_run() const { return device_run_.get(); }

  // Scratch owned by the context, grown on demand and reused (used by LlamaModel::forward).
  struct Scratch {
    std::vector<float> x, h, q, k, v, attn, proj, gate, up;  // [n_rows, *]
    std::vector<float> logits;                                // [n, n_vocab]
    std::vector<int32_t> pos, row_seq, tokens;                // [n_rows]
    std::vector<int64_t> chunk_pos0, chunk_row0;              // [n_chunks]
  };
  Scratch& scratch() { return scratch_; }
  std::vector<float>& hidden_buffer() { return hidden_; }
  std::vector<int32_t>& hidden_seq_buffer() { return hidden_seq_; }

 private:
  std::shared_ptr<const LlamaModel> model_;
  std::vector<KvCache> caches_;
  std::vector<std::shared_ptr<const LinearOverride>> overrides_;  // by weight index
  AllReduceFn all_reduce_;
  LayerObserver layer_observer_;
  Scratch scratch_;
  std::vector<float> hidden_;
  std::vector<int32_t> hidden_seq_;
  std::unique_ptr<DeviceRun> device_run_;  // after model_: destroyed before the model
};

}  // namespace t2::model
