// REINFORCE training of an SVF expert (PROTOCOL.md §2): greedy rollouts with the current expert,
// reward ±1 from a scorer, loss −Σ log p(generated) · r / B (+ optional KL(p_base ‖ p) at the
// generated positions, also / B), global-norm clipping, Adam on the parameter vectors p.
//
// Data parallel: the batch is cut into units of micro_batch consecutive samples and unit u runs on
// rank u mod size: one batched greedy generation for the unit's rollouts (greedy_rollouts), then
// one log-prob forward + backward over the unit's sequences together. What is computed together
// is thus fixed by (batch, micro_batch), never by the rank count. The gradient is summed in fixed
// point (gradient_sum): every unit's ∂L/∂s is rounded to a multiple of 2^-S, S chosen from the
// batch-wide max |∂L/∂s|, and the int64 sums are all-reduced; integer addition is exact, so the
// sum is the same for any rank count and any reduction order, and the traffic is one vector of
// the parameters' size per rank (not one per sample). The rounding step is
// ≤ 2^-(62 - log2 B) of the largest component (≈ 1e-17 relative for B = 256), below double
// rounding of an ordinary sum. Every rank applies the same Adam step: the expert is bit-identical
// for any rank count. Batches are drawn without replacement from a per-epoch seeded permutation of the
// train samples, a pure function of (seed, iteration), so resuming needs only the iteration.
// Not thread-safe; one trainer per process (all ranks of `comm` call step/accuracy together).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dist/comm/communicator.h"
#include "model/llama/model.h"
#include "train/adam.h"
#include "train/decoder.h"
#include "train/params.h"
#include "train/rollout.h"
#include "train/svf_param.h"

namespace t2::train {

struct RlSample {
  int64_t id = 0;                // stable sample id (reports)
  std::vector<int32_t> prompt;   // token ids, BOS included as the model expects
  std::string answer;            // whatever the scorer needs
};

// True when `completion` (generated ids) answers the sample correctly.
using ScoreFn = std::function<bool(const RlSample&, const std::vector<int32_t>& completion)>;

struct ReinforceOptions {
  int64_t batch = 256;
  // Samples computed together (rollouts, forward, backward); results depend on it (float sums),
  // not on the rank count. Ranks share the batch unit by unit, so use batch >= micro_batch · ranks.
  int64_t micro_batch = 8;
  double lr = 2e-3;
  double max_grad_norm = 1e-3;  // 0: no clipping
  double kl_coef = 0.0;
  int64_t max_new_tokens = 512;
  float max_mult = 1.0f;
  uint64_t seed = 42;
  std::vector<int32_t> eos_ids;  // generation stops after any of them
  // Optional: called with the tokens generated so far; true ends the rollout (stop strings).
  std::function<bool(const std::vector<int32_t>&)> stop;
  // Rollouts of a rank's samples batched through the engine (default) or one sequence per forward
  // (the reference path; same tokens, tests/train/rollout_test.cpp).
  bool batched_rollouts = true;
};

struct IterationStats {
  int64_t iteration = 0;  // 1-based, after the update
  double mean_reward = 0, loss = 0, kl = 0, grad_norm = 0, param_norm = 0;
  int64_t generated_tokens = 0;
  // Seconds on this rank: rollouts, log-prob forward, backward, gradient exchange + sum, total.
  double t_rollout = 0, t_forward = 0, t_backward = 0, t_allreduce = 0, t_total = 0;
};

// Expert parameters: one p vector per adapted matrix, in the order of the SVD list.
struct Expert {
  std::vector<std::string> names;
  std::vector<std::vector<float>> p;
};

// Exact, rank-count-independent sum of per-sample gradient vectors (n values each) over all ranks
// of comm: `local` holds this rank's samples, n_total the batch size, max_abs the batch-wide max
// |value| (the same on every rank). Collective. Values are quantised to 2^-S with
// S = 62 - ceil(log2(max_abs)) - ceil(log2(n_total)) and summed as int64.
std::vector<double> gradient_sum(std::span<const std::vector<double>> local, size_t n,
                                 double max_abs, int64_t n_total, const dist::Communicator& comm);

class ReinforceTrainer {
 public:
  // svd: the adapted matrices (canonical names of this model's projections). p starts at
  // 0.1 + 0.01 · N(0, 1) from (seed, matrix index).
  ReinforceTrainer(std::shared_ptr<const model::LlamaModel> model, std::vector<SvfMatrix> svd,
                   ReinforceOptions opt, dist::Communicator comm);

  // One iteration on a batch drawn from `train`. Collective.
  IterationStats step(std::span<const RlSample> train, const ScoreFn& score);
  // Greedy accuracy of the current expert on samples (split over ranks). Collective; every rank
  // returns the same value. Empty samples: -1.
  double accuracy(std::span<const RlSample> samples, const ScoreFn& score);
  // Greedy completion with the current expert (this rank only).
  std::vector<int32_t> generate(const std::vector<int32_t>& prompt) const;
  // Greedy completions of several prompts (this rank only; batched unless !batched_rollouts).
  std::vector<std::vector<int32_t>> generate(std::span<const std::vector<int32_t>> prompts) const;

  const Expert& expert() const { return expert_; }
  int64_t iteration() const { return iteration_; }
  const std::vector<SvfMatrix>& svd() const { return svd_; }
  Adam& optimizer() { return adam_; }
  const ReinforceOptions& options() const { return opt_; }
  // Restores a checkpoint (parameters, optimiser, iteration); shapes must match.
  void restore(const Expert& e, int64_t iteration);

  // Batch of iteration `it` (0-based): indices into a train set of n samples.
  static std::vector<int64_t> draw_batch(uint64_t seed, int64_t it, int64_t batch, int64_t n);

 private:
  void refresh_adapters();  // scales + dense weights + engine overrides from expert_.p

  std::shared_ptr<const model::LlamaModel> model_;
  std::unique_ptr<ParamSet> params_;  // f32 base weights for the training forward/backward
  std::unique_ptr<Decoder> decoder_;
  std::vector<SvfMatrix> svd_;
  std::vector<SvfAdapter> adapters_;
  std::vector<Override> overrides_;  // engine overrides for rollouts
  ReinforceOptions opt_;
  dist::Communicator comm_;
  Expert expert_;
  Adam adam_;
  int64_t iteration_ = 0;
};

}  // namespace t2::train
