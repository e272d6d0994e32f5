// Greedy rollouts for REINFORCE through the inference engine (model::LlamaModel with a
// RunContext), with the current SVF expert applied through the engine's LinearOverride seam as
// dense composed weights. greedy_rollouts() runs many prompts at once through the engine's
// batched generation (model::generate: prefill chunks and decode steps of all sequences share each
// forward); greedy_rollout() is the one-sequence-per-forward reference it is tested against
// (tests/train/rollout_test.cpp: the same tokens). Greedy choices could only depend on which other
// sequences share a forward through the last-bit rounding of the matrix kernels, which the tests
// show does not change a token on the training fixtures. (The trainer batches fixed units of
// samples, so its results do not depend on the rank count either way.)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/linear_override.h"
#include "model/llama/model.h"
#include "tensor/dtype.h"

namespace t2::train {

// y = x · Wᵀ with W [n_out, n_in] the composed U · diag(s) · Vᵀ: an owned or borrowed f32 matrix
// (BLAS sgemm), or a copy stored in the checkpoint's dtype (bf16/f16, the engine's own kernels),
// as `t2 eval` applies an expert (svf::DenseOverride), which halves the weight traffic of decoding.
class DenseOverride : public model::LinearOverride {
 public:
  DenseOverride(std::vector<float> w, int64_t n_out, int64_t n_in);
  // storage f32: borrows w (n_out · n_in values), which must outlive the override and every
  // forward using it (the trainer shares its adapters' composed weights with the engine);
  // bf16/f16: converts w into an owned copy.
  DenseOverride(const float* w, int64_t n_out, int64_t n_in,
                tensor::DType storage = tensor::DType::f32);
  int64_t n_in() const override { return n_in_; }
  int64_t n_out() const override { return n_out_; }
  void forward(const float* x, float* y, int64_t n, std::span<const int32_t> row_seq) const override;

 private:
  std::vector<float> owned_;  // [n_out, n_in] unless borrowed
  const float* w_ = nullptr;
  std::vector<char> stored_;  // [n_out, n_in] in storage_ when that is not f32
  tensor::DType storage_ = tensor::DType::f32;
  int64_t n_out_, n_in_;
};

struct Override {
  std::string name;  // canonical weight name
  std::shared_ptr<const model::LinearOverride> ov;
};

// Greedy continuation of `prompt`: at most max_new tokens, stopping after any of eos_ids (which is
// kept in the output) or when stop(tokens generated so far) returns true. Throws t2::Error when
// prompt + max_new exceeds the context limit.
std::vector<int32_t> greedy_rollout(const std::shared_ptr<const model::LlamaModel>& m,
                                    const std::vector<Override>& overrides,
                                    const std::vector<int32_t>& prompt, int64_t max_new,
                                    const std::vector<int32_t>& eos_ids,
                                    const std::function<bool(const std::vector<int32_t>&)>& stop = {});

// Greedy continuations of every prompt (result j for prompts[j]), same rules as greedy_rollout,
// all sequences batched (at most max_batch_tokens rows per forward). Throws t2::Error naming the
// prompt when one is empty or prompt + max_new exceeds the context limit.
std::vector<std::vector<int32_t>> greedy_rollouts(
    const std::shared_ptr<const model::LlamaModel>& m, const std::vector<Override>& overrides,
    std::span<const std::vector<int32_t>> prompts, int64_t max_new,
    const std::vector<int32_t>& eos_ids,
    const std::function<bool(const std::vector<int32_t>&)>& stop = {},
    int64_t max_batch_tokens = 2048);

}  // namespace t2::train
