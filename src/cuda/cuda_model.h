// The CUDA backend of the Llama forward pass behind the model's device seam
// (model/device_forward.h). CudaModel uploads a loaded LlamaModel's weights once per rank — the
// matrices and the embedding table in bf16 (f16 / f32 checkpoints converted at upload), norms and
// the RoPE table in f32 — onto the device this rank drives (cuda/device.h). CudaRun is the
// per-RunContext state: one key/value cache allocation per sequence slot on the device (bf16,
// grown by doubling, checked against free memory with a clear error), activations in f32, and the
// forward of a whole mixed batch (prefill chunks and decode tokens) in one launch per op. What
// crosses PCIe per step: the batch's token ids and positions up, the chosen token ids and their
// log-probs down (or logits rows when a caller asks for them).
// A weight override registered on the RunContext (the SVF seam) that describes itself as data
// (model::RoutedLinear: every SVF expert, mixture and CEM candidate) runs on the device
// (cuda/device_overrides.h); any other override runs on host copies of the rows.
// Under tensor parallelism the host weights are already this rank's shard (model/llama/weights.h)
// and are uploaded as they are; group_all_reduce sums the row-parallel outputs over NCCL.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cuda/buffer.h"
#include "model/device_forward.h"
#include "model/llama/model.h"

namespace t2::cuda {

class CudaModel final : public model::DeviceModel {
 public:
  // Uploads `m`'s weights to the current device (select_rank_device() first). Throws t2::Error
  // when they do not fit or the config is outside what the kernels support (head_dim > 256).
  explicit CudaModel(const model::LlamaModel& m);

  std::string description() const override { return description_; }
  std::unique_ptr<model::DeviceRun> make_run(const model::LlamaModel& m) const override;
  // Sums over `group` with NCCL on this model's device (dist/comm/nccl_comm.h); throws in a
  // build without NCCL.
  model::AllReduceFn group_all_reduce(const dist::Communicator& group) const override;

  // Device copy of weight `index` (model::Weight::index) in dtype(): [rows, cols] row-major.
  const void* weight(int32_t index) const { return weights_[index].get(); }
  tensor::DType weight_dtype(int32_t index) const { return dtypes_[index]; }
  const float* inv_freq() const { return inv_freq_.as<float>(); }
  size_t weight_bytes() const { return weight_bytes_; }
  int device() const { return device_; }

 private:
  int device_ = 0;
  std::string description_;
  std::vector<DeviceBuffer> weights_;  // by weight index
  std::vector<tensor::DType> dtypes_;
  DeviceBuffer inv_freq_;              // [head_dim / 2]
  size_t weight_bytes_ = 0;
};

// Makes every later LlamaModel::load attach a CudaModel (the --device cuda wiring).
void install_cuda_backend();

}  // namespace t2::cuda
