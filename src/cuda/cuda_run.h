// CudaRun: the per-RunContext state of the CUDA backend (see cuda_model.h) — device key/value
// caches per sequence slot, the activations of the last batch, the cuBLAS handle and stream — and
// the forward pass over a batch of sequence chunks. Used by one thread at a time, like its
// RunContext. Shapes: n = rows of the batch, d = n_embd, qd / kvd = local q / kv widths, ff =
// local n_ff.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include <cuda_runtime.h>

#include "cuda/blas.h"
#include "cuda/buffer.h"
#include "cuda/cuda_model.h"
#include "cuda/device_overrides.h"
#include "model/device_forward.h"
#include "model/llama/model.h"

namespace t2::cuda {

class CudaRun final : public model::DeviceRun {
 public:
  CudaRun(const model::LlamaModel& m, const CudaModel& dev);
  ~CudaRun() override;

  int64_t forward(model::RunContext& ctx, std::span<const model::SeqChunk> batch) override;
  float* logits(model::RunContext& ctx, int64_t row0, int64_t n) override;
  void select(model::RunContext& ctx, int64_t n, std::span<const model::SamplingParams> params,
              std::span<const double> u, int32_t* tokens, float* logprobs) override;
  void release_sequence(int32_t slot) override;
  void clear_all() override;
  void copy_sequence(int32_t src, int32_t dst) override;
  size_t kv_bytes() const override;

 private:
  struct SlotCache {
    DeviceBuffer buf;  // [n_layer, 2, n_kv, capacity, head_dim] of kv_dtype_
    int64_t capacity = 0;
  };
  // Makes slot's cache hold at least n tokens, keeping its first `keep` tokens.
  void reserve_slot(int32_t slot, int64_t n, int64_t keep);
  // y[n, w.rows] = x[n, w.cols] · Wᵀ: the run's override for w (an SVF override on the device,
  // any other on the host), else the device weight.
  void project(const model::RunContext& ctx, const model::Weight& w, const float* x, float* y,
               int64_t n, std::span<const int32_t> row_seq);
  // The head over hidden rows [row0, row0 + n) into logits_ [n, n_vocab].
  void head(model::RunContext& ctx, int64_t row0, int64_t n);

  const model::LlamaModel& m_;
  const CudaModel& dev_;
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<Blas> blas_;
  std::unique_ptr<DeviceOverrides> overrides_;  // the SVF overrides' device copies
  tensor::DType kv_dtype_ = tensor::DType::bf16;
  std::vector<SlotCache> slots_;
  std::vector<DeviceBuffer> spare_;  // released caches, reused before new allocations
  // Activations of the last batch (device).
  DeviceBuffer x_, h_, q_, k_, v_, attn_, proj_, gate_, up_, hidden_, logits_;
  DeviceBuffer ids_, rows_;  // token ids [n]; row table: kv base [n] u64, pos [n], cap [n] i32
  DeviceBuffer sel_;         // select(): temperature, top_p, u, tokens, logprobs
  // Host staging.
  std::vector<int32_t> h_tokens_, h_pos_, h_cap_, h_row_seq_;
  std::vector<unsigned long long> h_base_;
  std::vector<float> h_logits_, h_x_, h_y_;
};

}  // namespace t2::cuda
