// Corpus packing and the pretraining loop.
#include "train/pretrain.h"

#include <cmath>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/rng.h"
#include "base/timer.h"
#include "io/file.h"
#include "tokenizer/tokenizer.h"
#include "train/adam.h"
#include "train/decoder.h"

namespace t2::train {

std::vector<int32_t> load_corpus(const std::string& path, const tokenizer::Tokenizer* tok,
                                 int32_t eos, int64_t n_vocab) {
  const std::string text = io::read_file(path);
  std::vector<int32_t> out;
  std::istringstream in(text);
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      T2_FAIL("%s:%lld: not valid JSON (%s)", path.c_str(), static_cast<long long>(line_no),
              e.what());
    }
    if (j.is_object() && j.contains("ids") && j["ids"].is_array()) {
      for (const auto& v : j["ids"]) {
        T2_CHECK(v.is_number_integer(), "%s:%lld: \"ids\" must hold integers", path.c_str(),
                 static_cast<long long>(line_no));
        const int64_t id = v.get<int64_t>();
        T2_CHECK(id >= 0 && id < n_vocab, "%s:%lld: token id %lld outside the vocabulary [0, %lld)",
                 path.c_str(), static_cast<long long>(line_no), static_cast<long long>(id),
                 static_cast<long long>(n_vocab));
        out.push_back(static_cast<int32_t>(id));
      }
    } else if (j.is_object() && j.contains("text") && j["text"].is_string()) {
      T2_CHECK(tok != nullptr, "%s:%lld: a {\"text\": ...} record needs a tokenizer (--tokenizer)",
               path.c_str(), static_cast<long long>(line_no));
      for (int32_t id : tok->encode(j["text"].get<std::string>())) {
        T2_CHECK(id < n_vocab, "%s:%lld: the tokenizer produced id %d but the model's vocab_size "
                 "is %lld", path.c_str(), static_cast<long long>(line_no), id,
                 static_cast<long long>(n_vocab));
        out.push_back(id);
      }
      if (eos >= 0) out.push_back(eos);
    } else {
      T2_FAIL("%s:%lld: expected an object with \"text\" (string) or \"ids\" (list of integers)",
              path.c_str(), static_cast<long long>(line_no));
    }
  }
  return out;
}

std::vector<std::string> pretrain_problems(const PretrainOptions& opt) {
  std::vector<std::string> p;
  const auto at_least = [&](const char* name, int64_t v, int64_t lo) {
    if (v < lo) p.push_back(t2::format("--%s must be >= %lld, got %lld", name,
                                       static_cast<long long>(lo), static_cast<long long>(v)));
  };
  const auto finite_in = [&](const char* name, double v, double lo, bool strict, double hi) {
    if (!std::isfinite(v) || v < lo || (strict && v == lo) || v > hi)
      p.push_back(t2::format("--%s must be a finite number %s %g%s, got %g", name,
                             strict ? ">" : ">=", lo,
                             std::isfinite(hi) ? t2::format(" and <= %g", hi).c_str() : "", v));
  };
  const double inf = std::numeric_limits<double>::infinity();
  at_least("steps", opt.steps, 1);
  at_least("batch", opt.batch, 1);
  at_least("seq-len", opt.seq_len, 2);
  at_least("warmup", opt.warmup, 0);
  at_least("save-every", opt.save_every, 0);
  at_least("log-every", opt.log_every, 1);
  finite_in("lr", opt.lr, 0, true, inf);
  finite_in("min-lr-ratio", opt.min_lr_ratio, 0, false, 1);
  finite_in("weight-decay", opt.weight_decay, 0, false, inf);
  finite_in("max-grad-norm", opt.max_grad_norm, 0, false, inf);
  finite_in("init-std", opt.init_std, 0, false, inf);
  return p;
}

void check_pretrain_inputs(const PretrainOptions& opt, int64_t n_ctx_max, size_t stream_tokens) {
  T2_CHECK(opt.seq_len <= n_ctx_max,
           "--seq-len %lld exceeds the model's max_position_embeddings %lld",
           static_cast<long long>(opt.seq_len), static_cast<long long>(n_ctx_max));
  T2_CHECK(static_cast<int64_t>(stream_tokens) > opt.seq_len,
           "the corpus has %zu tokens; it needs more than --seq-len = %lld", stream_tokens,
           static_cast<long long>(opt.seq_len));
}

void pretrain(ParamSet& params, const std::vector<int32_t>& stream, const PretrainOptions& opt,
              const std::string& out_dir, const std::function<void(const PretrainLog&)>& on_log,
              const std::function<void(int64_t step, double loss)>& on_step) {
  const auto problems = pretrain_problems(opt);
  T2_CHECK(problems.empty(), "pretrain: %s", problems.empty() ? "" : problems.front().c_str());
  check_pretrain_inputs(opt, params.config().n_ctx_max, stream.size());
  params.allocate_grads();
  std::vector<float*> w, g;
  std::vector<const float*> gc;
  std::vector<size_t> sizes;
  std::vector<bool> decay;
  for (Param& p : params.all()) {
    w.push_back(p.w.data());
    g.push_back(p.g.data());
    gc.push_back(p.g.data());
    sizes.push_back(p.size());
    decay.push_back(p.cols > 1);
  }
  AdamOptions ao;
  ao.beta1 = opt.beta1;
  ao.beta2 = opt.beta2;
  ao.weight_decay = opt.weight_decay;
  Adam adam(ao, sizes, decay);
  Decoder dec(params);

  const int64_t L = opt.seq_len;
  const float wt = 1.0f / static_cast<float>(opt.batch * (L - 1));  // mean over predicted tokens
  const uint64_t n_start = stream.size() - static_cast<uint64_t>(L) + 1;
  std::vector<SeqExample> batch(static_cast<size_t>(opt.batch));
  Timer total;
  Timer window;
  double loss_acc = 0, last_lr = 0, last_norm = 0, t_fwd = 0, t_bwd = 0;
  int64_t n_acc = 0;
  auto save = [&](int64_t step, double loss) {
    params.save_checkpoint(out_dir, opt.save_dtype);
    nlohmann::ordered_json st;
    st["step"] = step;
    st["loss"] = loss;
    st["tokens_seen"] = step * opt.batch * L;
    st["seed"] = opt.seed;
    io::write_file_atomic(out_dir + "/trainer_state.json", st.dump(2) + "\n");
  };
  for (int64_t step = 0; step < opt.steps; ++step) {
    for (int64_t b = 0; b < opt.batch; ++b) {
      Rng rng = Rng::stream(opt.seed, static_cast<uint64_t>(step * opt.batch + b), RngPurpose::batch);
      const uint64_t s = rng.below(n_start);
      SeqExample& e = batch[b];
      e.tokens.assign(stream.begin() + static_cast<int64_t>(s), stream.begin() + static_cast<int64_t>(s) + L);
      e.weight.assign(static_cast<size_t>(L), wt);
      e.weight[0] = 0.0f;
    }
    params.zero_grads();
    const ForwardResult r = dec.run(batch, /*backward=*/true);
    T2_CHECK(std::isfinite(r.loss), "pretrain: loss became %f at step %lld (lower --lr?)", r.loss,
             static_cast<long long>(step + 1));
    last_norm = clip_global_norm(g, sizes, opt.max_grad_norm);
    last_lr = cosine_lr(step, opt.steps, opt.warmup, opt.lr, opt.lr * opt.min_lr_ratio);
    adam.step(w, gc, last_lr);
    loss_acc += r.loss;
    t_fwd += r.seconds_forward;
    t_bwd += r.seconds_backward;
    ++n_acc;
    const bool last = step + 1 == opt.steps;
    if (on_step) on_step(step + 1, r.loss);
    if ((opt.log_every > 0 && (step + 1) % opt.log_every == 0) || last) {
      PretrainLog log;
      log.step = step + 1;
      log.loss = loss_acc / n_acc;
      log.lr = last_lr;
      log.grad_norm = last_norm;
      log.tokens_per_s = static_cast<double>(n_acc * opt.batch * L) / window.seconds();
      log.seconds = total.seconds();
      log.t_forward = t_fwd;
      log.t_backward = t_bwd;
      if (on_log) on_log(log);
      loss_acc = 0;
      t_fwd = t_bwd = 0;
      n_acc = 0;
      window.reset();
    }
    if (last || (opt.save_every > 0 && (step + 1) % opt.save_every == 0)) save(step + 1, r.loss);
  }
}

}  // namespace t2::train
