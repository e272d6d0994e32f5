// The backend seam of the forward pass: where an accelerator takes over LlamaModel::forward and
// LlamaModel::logits for a run. A DeviceModel holds what a backend keeps once per loaded model
// (weights uploaded to the device); a DeviceRun is its per-RunContext state (device key/value
// caches, scratch). LlamaModel::load attaches a DeviceModel when a process-wide factory is
// installed (the cli's --device option does that; a CPU-only run never installs one, and then
// nothing here is used). The batch scheduler (model/generate.cpp), the SVF adapter and every
// runner stay unchanged: they call LlamaModel::forward / logits, which validate the batch and
// then hand it to the RunContext's DeviceRun when it has one.
// model/ defines the interface only; implementations live outside (cuda/cuda_model.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace t2::dist {
class Communicator;  // dist/comm/communicator.h
}

namespace t2::model {

// Sums data[0 .. n) over the ranks of a tensor-parallel group, in place. Called after o_proj and
// down_proj on every rank of the group in the same order (RunContext::set_all_reduce). With a
// device run, data is device memory.
using AllReduceFn = std::function<void(float* data, size_t n)>;

class LlamaModel;
class RunContext;
struct SeqChunk;
struct SamplingParams;

class DeviceRun {
 public:
  virtual ~DeviceRun() = default;
  // LlamaModel::forward's contract after its validation: appends the chunks' keys and values to
  // the sequences' device caches, keeps the final hidden states of the requested rows on the
  // device, records their slots in ctx.hidden_seq_buffer() and advances the sequences' lengths
  // (ctx.cache(slot).set_n_tokens). Returns n_out.
  virtual int64_t forward(RunContext& ctx, std::span<const SeqChunk> batch) = 0;
  // LlamaModel::logits' contract: host logits [n, n_vocab] of rows [row0, row0 + n) of the last
  // forward, valid until the next call. Cost: the head on the device plus one copy over PCIe.
  virtual float* logits(RunContext& ctx, int64_t row0, int64_t n) = 0;
  // Next tokens of the first n rows of the last forward, selected on the device (greedy or
  // temperature + top-p with the host-drawn uniforms u[n]); log p of each when logprobs is not
  // null. Only ids and log-probabilities cross PCIe.
  virtual void select(RunContext& ctx, int64_t n, std::span<const SamplingParams> params,
                      std::span<const double> u, int32_t* tokens, float* logprobs) = 0;
  // Sequence bookkeeping, mirrored from the RunContext's slot operations.
  virtual void release_sequence(int32_t slot) = 0;
  virtual void clear_all() = 0;
  virtual void copy_sequence(int32_t src, int32_t dst) = 0;
  virtual size_t kv_bytes() const = 0;
};

class DeviceModel {
 public:
  virtual ~DeviceModel() = default;
  // "cuda:0 NVIDIA H100 ..." for logs and reports.
  virtual std::string description() const = 0;
  virtual std::unique_ptr<DeviceRun> make_run(const LlamaModel& model) const = 0;
  // The all-reduce hook of a tensor-parallel group whose ranks hold shards of this model on their
  // devices: sums device buffers over `group` (NCCL, set up over `group` on the first sum, which
  // every rank of the group reaches together). Throws t2::Error when the backend cannot (a build
  // without NCCL).
  virtual AllReduceFn group_all_reduce(const dist::Communicator& group) const = 0;
};

// Installed once by the composition root before models are loaded; empty: every model runs on the
// CPU. The factory receives the freshly loaded model (weights on the host) and returns its device
// side, or throws t2::Error (no device, out of memory, unsupported config).
using DeviceModelFactory = std::function<std::shared_ptr<const DeviceModel>(const LlamaModel&)>;
void set_device_model_factory(DeviceModelFactory factory);
const DeviceModelFactory& device_model_factory();

}  // namespace t2::model
