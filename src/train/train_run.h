// The outer REINFORCE loop of `t2 train`: evaluation every test-interval iterations (train, valid,
// test accuracy), best-by-valid and latest experts (svf expert files), the training history, and
// crash-safe checkpoints (expert p, Adam moments, iteration, best so far, history) published by
// write-temp-then-rename, from which --resume continues exactly. Rank 0 alone writes files; every
// rank runs the same collective steps.
//
// Files for --out E.h5: E.h5 (best by valid accuracy), E.latest.h5, E.ckpt.h5 (checkpoint +
// history datasets), E.history.tsv (the history as text).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "train/reinforce.h"

namespace t2::train {

struct TrainRunOptions {
  int64_t iters = 200;
  int64_t test_interval = 10;
  int64_t train_eval_limit = 0;  // evaluate only the first N train samples (0: all of them)
  int64_t eval_limit = 0;        // evaluate only the first N valid and test samples (0: all)
  std::string out;               // best expert path; the others derive from it
  bool resume = false;
  std::string task;              // recorded in the expert
  std::string base_fingerprint;  // recorded in the expert and checked on resume
  std::string provenance;        // command line / config summary
};

// Sample ids (of the rollout source's list) of each split.
struct EvalSets {
  std::vector<int64_t> train, valid, test;
};

struct HistoryRow {
  int64_t iteration = 0;
  double mean_reward = 0, loss = 0, grad_norm = 0, param_norm = 0;
  double train_acc = -1, valid_acc = -1, test_acc = -1;  // -1: not evaluated at this row
  double n_errors = 0;   // failed rollouts (generation or scoring) of the iteration and its evaluation
  double t_rollout = 0, t_forward = 0, t_backward = 0, t_allreduce = 0, t_total = 0;
};

// Runs iterations until opt.iters (resuming from the checkpoint when opt.resume and it exists).
// Iteration 0 is the initial expert (p ≈ 0.1, W' ≈ W): it is evaluated like every other, and it is
// the saved best expert when no later iteration beats its valid accuracy. The expert files record
// the selected iteration. on_row is called on every rank after each history row. Returns the full
// history.
std::vector<HistoryRow> run_reinforce(ReinforceTrainer& trainer, const EvalSets& sets,
                                      const TrainRunOptions& opt, const dist::Communicator& comm,
                                      const std::function<void(const HistoryRow&)>& on_row);

std::string checkpoint_path(const std::string& out);
std::string latest_path(const std::string& out);

}  // namespace t2::train
