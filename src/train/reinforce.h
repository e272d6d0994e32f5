// REINFORCE training of an SVF expert (PROTOCOL.md §2): greedy rollouts with the current expert
// (rollouts.h: through the same sample runner and SVF door as evaluation), reward ±1 from the
// scorer, loss −Σ log p(answer tokens) · r / B (+ optional KL(p_base ‖ p) at the answer positions,
// also / B), global-norm clipping, Adam on the parameter vectors p. The answer's log-probability
// comes from the training decoder (decoder.h), which applies each adapted matrix factored and
// back-propagates to its effective singular values e = σ ⊙ z · c; the chain to p sits next to its
// forward in svf/compose.h.
//
// Batches: B = min(batch, |train|) samples drawn afresh every iteration, without replacement
// within the batch, from Rng::stream(seed, iteration, batch) — a pure function of (seed,
// iteration), so resuming needs only the iteration.
// Data parallel: the batch is cut into units of micro_batch consecutive samples and unit u runs on
// rank u mod size: one rollout batch, then one log-prob forward + backward over the unit's
// sequences. What is computed together is thus fixed by (batch, micro_batch), never by the rank
// count. The gradient is summed in fixed point (gradient_sum): every unit's ∂L/∂e is rounded to a
// multiple of 2^-S, S chosen from the batch-wide max |∂L/∂e|, and the int64 sums are all-reduced;
// integer addition is exact, so the sum is the same for any rank count and any reduction order. The
// rounding step is ≤ 2^-(62 - log2 B) of the largest component (≈ 1e-17 relative for B = 256),
// below double rounding of an ordinary sum. Every rank applies the same Adam step: the expert is
// bit-identical for any rank count.
// Not thread-safe; one trainer per process (all ranks of `comm` call step/accuracy together).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dist/comm/communicator.h"
#include "model/llama/model.h"
#include "svf/compose.h"
#include "svf/override.h"
#include "train/adam.h"
#include "train/decoder.h"
#include "train/params.h"
#include "train/rollouts.h"

namespace t2::train {

struct ReinforceOptions {
  int64_t batch = 256;  // B = min(batch, |train|)
  // Samples computed together (rollouts, forward, backward); results depend on it (float sums),
  // not on the rank count. Ranks share the batch unit by unit, so use batch >= micro_batch · ranks.
  int64_t micro_batch = 8;
  double lr = 2e-3;
  double max_grad_norm = 1e-3;  // 0: no clipping
  double kl_coef = 0.0;
  double max_mult = 1.0;
  uint64_t seed = 42;
};

struct IterationStats {
  int64_t iteration = 0;  // 1-based, after the update
  double mean_reward = 0, loss = 0, kl = 0, grad_norm = 0, param_norm = 0;
  int64_t generated_tokens = 0;
  int64_t n_errors = 0;   // rollouts whose generation or scoring failed (rewarded −1)
  // Seconds on this rank: rollouts, log-prob forward, backward, gradient exchange + sum, total.
  double t_rollout = 0, t_forward = 0, t_backward = 0, t_allreduce = 0, t_total = 0;
};

// Expert parameters: one p vector per adapted matrix, in the order of the matrix list.
struct Expert {
  std::vector<std::string> names;
  std::vector<std::vector<float>> p;
};

struct Accuracy {
  double accuracy = -1;  // -1 for no samples
  int64_t n = 0, n_errors = 0;
};

// Exact, rank-count-independent sum of per-unit gradient vectors (n values each) over all ranks
// of comm: `local` holds this rank's units, n_total the number of units, max_abs the batch-wide
// max |value| (the same on every rank). Collective. Values are quantised to 2^-S with
// S = 62 - ceil(log2(max_abs)) - ceil(log2(n_total)) and summed as int64.
std::vector<double> gradient_sum(std::span<const std::vector<double>> local, size_t n,
                                 double max_abs, int64_t n_total, const dist::Communicator& comm);

class ReinforceTrainer {
 public:
  // matrices: the adapted matrices (canonical names of this model's projections), whose factors
  // are in `factors`. p starts at 0.1 + 0.01 · N(0, 1) from (seed, matrix index).
  ReinforceTrainer(std::shared_ptr<const model::LlamaModel> model,
                   std::shared_ptr<const svf::FactorSet> factors, std::vector<std::string> matrices,
                   ReinforceOptions opt, RolloutFn rollouts, dist::Communicator comm);

  // One iteration on a batch drawn from the train samples (their ids). Collective.
  IterationStats step(std::span<const int64_t> train);
  // Greedy accuracy of the current expert on samples (split over ranks in the step's units).
  // Collective; every rank returns the same value.
  Accuracy accuracy(std::span<const int64_t> samples);

  const Expert& expert() const { return expert_; }
  // The scaling the current expert applies (z per matrix).
  const svf::ScalingSet& scaling() const { return scaling_; }
  int64_t iteration() const { return iteration_; }
  Adam& optimizer() { return adam_; }
  const ReinforceOptions& options() const { return opt_; }
  // Restores a checkpoint (parameters, optimiser, iteration); shapes must match.
  void restore(const Expert& e, int64_t iteration);

  // Batch of iteration `it` (0-based): min(batch, n) distinct indices into a train set of n.
  static std::vector<int64_t> draw_batch(uint64_t seed, int64_t it, int64_t batch, int64_t n);

 private:
  void refresh();  // scaling_ and the decoder adapters from expert_.p

  std::shared_ptr<const model::LlamaModel> model_;
  std::shared_ptr<const svf::FactorSet> factors_;
  std::unique_ptr<ParamSet> params_;  // f32 base weights for the training forward/backward
  std::unique_ptr<Decoder> decoder_;
  std::vector<SvfAdapter> adapters_;
  ReinforceOptions opt_;
  RolloutFn rollouts_;
  dist::Communicator comm_;
  Expert expert_;
  svf::ScalingSet scaling_;
  Adam adam_;
  int64_t iteration_ = 0;
};

}  // namespace t2::train
