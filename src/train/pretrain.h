// Pretraining a Llama-family decoder from scratch (or continuing from a checkpoint) on a token
// corpus: random windows of a packed token stream, mean next-token cross-entropy, global-norm
// clipping, AdamW with linear warmup and cosine decay, periodic Hugging Face-layout checkpoints
// (each file published atomically). One process; threads come from OpenMP/BLAS inside the decoder.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tensor/dtype.h"
#include "train/params.h"

namespace t2::tokenizer {
class Tokenizer;
}

namespace t2::train {

struct PretrainOptions {
  int64_t steps = 1000;
  int64_t batch = 8;        // sequences per step
  int64_t seq_len = 128;    // tokens per sequence
  int64_t warmup = 50;
  int64_t save_every = 200; // checkpoint interval in steps (0: only at the end)
  int64_t log_every = 10;
  double lr = 1e-3;
  double min_lr_ratio = 0.1;  // cosine floor as a fraction of lr
  double weight_decay = 0.1;  // on matrices only (not norms)
  double max_grad_norm = 1.0;
  double beta1 = 0.9, beta2 = 0.95;
  double init_std = 0.02;
  uint64_t seed = 1;
  tensor::DType save_dtype = tensor::DType::f32;
};

struct PretrainLog {
  int64_t step = 0;  // 1-based, after the update
  double loss = 0;   // mean over the logged steps
  double lr = 0, grad_norm = 0;
  double tokens_per_s = 0;
  double t_forward = 0, t_backward = 0;  // seconds summed over the logged steps
  double seconds = 0;  // since start
};

// Packs a JSONL corpus into one token stream: {"ids": [...]} lines are taken as they are;
// {"text": "..."} lines are encoded with `tok` (required then) and followed by `eos` when eos >= 0.
// Throws t2::Error naming the file and line for bad JSON, missing fields, ids outside [0, n_vocab).
std::vector<int32_t> load_corpus(const std::string& path, const tokenizer::Tokenizer* tok,
                                 int32_t eos, int64_t n_vocab);

// Every option outside its valid range, one line each (empty when all are valid): steps, batch,
// seq_len >= 1 (seq_len >= 2), warmup, save_every >= 0, log_every >= 1, lr > 0, min_lr_ratio in
// [0, 1], weight_decay, max_grad_norm, init_std >= 0 (all finite). Checked before any work.
std::vector<std::string> pretrain_problems(const PretrainOptions& opt);

// The corpus and shape facts that pretrain() needs, checked before any output is written: seq_len
// within the model's context and a stream longer than one window.
void check_pretrain_inputs(const PretrainOptions& opt, int64_t n_ctx_max, size_t stream_tokens);

// Trains `params` in place for opt.steps steps; writes checkpoints to out_dir (config.json +
// model.safetensors + trainer_state.json) and calls on_log every log_every steps and at the end,
// and on_step(step, loss) after every step (1-based step, that step's loss), e.g. for progress.
void pretrain(ParamSet& params, const std::vector<int32_t>& stream, const PretrainOptions& opt,
              const std::string& out_dir, const std::function<void(const PretrainLog&)>& on_log,
              const std::function<void(int64_t step, double loss)>& on_step = {});

}  // namespace t2::train
