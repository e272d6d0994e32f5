// `t2 pretrain`: trains a Llama-family model from scratch (shape from a config.json-style file) on
// a JSONL corpus and writes a Hugging Face-layout checkpoint. The work is in train/pretrain.h.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "base/error.h"
#include "base/progress.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "tensor/linalg.h"  // set_threads
#include "io/file.h"
#include "model/llama/config.h"
#include "model/llama/model.h"
#include "tokenizer/tokenizer.h"
#include "train/pretrain.h"

namespace t2::cli {

namespace {

// Copies the tokenizer files (tokenizer.json and its config files) next to the checkpoint; a file
// that already is the destination (tokenizer folder = output folder) stays as it is.
void copy_tokenizer_files(const std::string& path, const std::string& out_dir) {
  namespace fs = std::filesystem;
  const auto copy = [](const fs::path& from, const fs::path& to) {
    if (fs::exists(to) && fs::equivalent(from, to)) return;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  };
  const fs::path src = fs::is_directory(path) ? fs::path(path) : fs::path(path).parent_path();
  const fs::path json = fs::is_directory(path) ? src / "tokenizer.json" : fs::path(path);
  copy(json, fs::path(out_dir) / "tokenizer.json");
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
    if (fs::exists(src / name)) copy(src / name, fs::path(out_dir) / name);
  }
}

// Trains with a progress line; log lines every --log-every steps stay above it on a terminal, or
// every 10 s into a log file.
void run_pretrain_loop(train::ParamSet& params, const std::vector<int32_t>& stream,
                       const train::PretrainOptions& o, const std::string& out) {
  ProgressOptions po;
  po.label = "pretrain";
  po.unit = "steps";
  po.rate_unit = "tokens";
  po.rate_per_unit = static_cast<double>(o.batch * o.seq_len);
  Progress progress(po, o.steps);
  train::pretrain(
      params, stream, o, out,
      [&](const train::PretrainLog& l) {
        progress.message(format("step %6lld  loss %.4f  lr %.2e  grad-norm %.3f  %.0f tok/s  %.1f s "
                                "(forward %.1f s, backward %.1f s)",
                                static_cast<long long>(l.step), l.loss, l.lr, l.grad_norm,
                                l.tokens_per_s, l.seconds, l.t_forward, l.t_backward));
      },
      [&](int64_t step, double loss) { progress.update(step, format("loss %.4f", loss)); });
  progress.finish();
}

}  // namespace

int run_pretrain(int argc, char** argv) {
  train::PretrainOptions o;
  std::string shape, init, corpus, out, tok_path, dtype = "f32";
  int threads = 0;
  po::options_description desc("t2 pretrain: train a Llama-family model from scratch");
  desc.add_options()
      ("shape", po::value(&shape), "model shape: a Hugging Face config.json (vocab_size, "
       "hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, ...)")
      ("init", po::value(&init), "start from this checkpoint directory instead of a random "
       "initialisation (its config.json gives the shape; --shape must then be absent)")
      ("corpus", po::value(&corpus)->required(), "JSONL corpus: {\"text\": ...} or {\"ids\": [...]} per line")
      ("out", po::value(&out)->required(), "output checkpoint directory")
      ("tokenizer", po::value(&tok_path), "tokenizer.json or a directory holding one: encodes "
       "text records and is copied into --out")
      ("steps", po::value(&o.steps)->default_value(o.steps), "optimiser steps (>= 1)")
      ("batch", po::value(&o.batch)->default_value(o.batch), "sequences per step (>= 1)")
      ("seq-len", po::value(&o.seq_len)->default_value(o.seq_len), "tokens per sequence (>= 2, <= the model's context)")
      ("lr", po::value(&o.lr)->default_value(o.lr), "peak learning rate (> 0)")
      ("min-lr-ratio", po::value(&o.min_lr_ratio)->default_value(o.min_lr_ratio), "cosine floor as a fraction of --lr (0..1)")
      ("warmup", po::value(&o.warmup)->default_value(o.warmup), "linear warmup steps (>= 0)")
      ("weight-decay", po::value(&o.weight_decay)->default_value(o.weight_decay), "AdamW decoupled weight decay, matrices only (>= 0)")
      ("max-grad-norm", po::value(&o.max_grad_norm)->default_value(o.max_grad_norm), "global gradient-norm clip (>= 0; 0: none)")
      ("init-std", po::value(&o.init_std)->default_value(o.init_std), "std of the random initialisation (>= 0)")
      ("seed", po::value(&o.seed)->default_value(o.seed), "seed of initialisation and batch draws")
      ("save-every", po::value(&o.save_every)->default_value(o.save_every), "checkpoint every N steps (>= 0; 0: at the end only)")
      ("log-every", po::value(&o.log_every)->default_value(o.log_every), "progress line every N steps (>= 1)")
      ("dtype", po::value(&dtype)->default_value(dtype), "checkpoint dtype: f32, bf16 or f16")
      ("threads", po::value(&threads)->default_value(0), "OpenMP/BLAS threads (>= 0; 0: library default)");
  const auto parsed = parse_options("t2 pretrain --shape SHAPE.json --corpus FILE.jsonl --out DIR "
                                    "[--steps N] [--batch B] [--seq-len L]", desc, argc, argv);
  if (parsed.help) return 0;
  // Every setting is checked before a model is built or anything is written.
  std::vector<std::string> problems = train::pretrain_problems(o);
  namespace fs = std::filesystem;
  const auto add = [&](std::string p) { problems.push_back(std::move(p)); };
  if (shape.empty() == init.empty()) add("give exactly one of --shape (random init) and --init");
  if (!shape.empty() && !fs::is_regular_file(shape)) add("--shape " + shape + ": not a readable file");
  if (!init.empty() && !fs::is_directory(init)) add("--init " + init + ": not a checkpoint folder");
  if (!fs::is_regular_file(corpus)) add("--corpus " + corpus + ": not a readable file");
  if (!tok_path.empty() && !fs::exists(tok_path)) add("--tokenizer " + tok_path + ": no such file or folder");
  if (fs::exists(out) && !fs::is_directory(out)) add("--out " + out + " exists and is not a folder");
  if (threads < 0) add(format("--threads must be >= 0, got %d", threads));
  if (dtype == "f32") o.save_dtype = tensor::DType::f32;
  else if (dtype == "bf16") o.save_dtype = tensor::DType::bf16;
  else if (dtype == "f16") o.save_dtype = tensor::DType::f16;
  else add("--dtype: expected f32, bf16 or f16, got '" + dtype + "'");
  if (!problems.empty()) throw t2::Error(problem_list("invalid settings", problems));
  if (threads > 0) {
    tensor::set_threads(threads);
  }
  std::unique_ptr<train::ParamSet> params;
  if (!shape.empty()) {
    model::LlamaConfig c = model::parse_llama_config(io::read_file(shape), shape);
    params = std::make_unique<train::ParamSet>(c);
    params->init_random(o.seed, static_cast<float>(o.init_std));
  } else {
    auto m = model::LlamaModel::load(init);
    params = std::make_unique<train::ParamSet>(train::ParamSet::from_model(*m));
  }
  const model::LlamaConfig& c = params->config();
  std::unique_ptr<tokenizer::Tokenizer> tok;
  if (!tok_path.empty()) tok = std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::load(tok_path));
  const int32_t eos = c.eos_token_ids.empty() ? -1 : c.eos_token_ids[0];
  const std::vector<int32_t> stream = train::load_corpus(corpus, tok.get(), eos, c.n_vocab);
  std::fprintf(stderr, "pretrain: %lld parameters, corpus %zu tokens, %lld steps x %lld x %lld tokens\n",
               static_cast<long long>(params->n_elements()), stream.size(),
               static_cast<long long>(o.steps), static_cast<long long>(o.batch),
               static_cast<long long>(o.seq_len));
  train::check_pretrain_inputs(o, c.n_ctx_max, stream.size());
  // A folder this run creates is removed again when the run fails before its first checkpoint, so
  // a failed start leaves no folder that looks like a model.
  const bool created_out = !fs::exists(out);
  fs::create_directories(out);
  try {
    if (!tok_path.empty()) copy_tokenizer_files(tok_path, out);
    run_pretrain_loop(*params, stream, o, out);
  } catch (...) {
    std::error_code ec;
    if (created_out && !fs::exists(fs::path(out) / "model.safetensors", ec)) fs::remove_all(out, ec);
    throw;
  }
  std::fprintf(stderr, "wrote %s\n", out.c_str());
  return 0;
}

}  // namespace t2::cli
