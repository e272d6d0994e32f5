// Greedy rollouts for REINFORCE through the inference engine (model::LlamaModel with a
// RunContext), with the current SVF expert applied through the engine's LinearOverride seam as
// dense composed f32 weights. One sequence per forward call, so a sample's rollout never depends
// on which other samples share a rank (results independent of the rank count).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/linear_override.h"
#include "model/llama/model.h"

namespace t2::train {

// y = x · Wᵀ with an owned f32 W [n_out, n_in] (the composed U · diag(s) · Vᵀ).
class DenseOverride : public model::LinearOverride {
 public:
  DenseOverride(std::vector<float> w, int64_t n_out, int64_t n_in);
  int64_t n_in() const override { return n_in_; }
  int64_t n_out() const override { return n_out_; }
  void forward(const float* x, float* y, int64_t n, std::span<const int32_t> row_seq) const override;

 private:
  std::vector<float> w_;  // [n_out, n_in]
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

}  // namespace t2::train
