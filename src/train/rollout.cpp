// Dense override and greedy rollouts through the engine.
#include "train/rollout.h"

#include <algorithm>

#include "base/error.h"
#include "model/generate.h"
#include "model/run_context.h"
#include "tensor/ops.h"
#include "train/grad_ops.h"

namespace t2::train {

DenseOverride::DenseOverride(std::vector<float> w, int64_t n_out, int64_t n_in)
    : owned_(std::move(w)), w_(owned_.data()), n_out_(n_out), n_in_(n_in) {
  T2_CHECK(static_cast<int64_t>(owned_.size()) == n_out * n_in, "dense override: %zu values for "
           "[%lld, %lld]", owned_.size(), static_cast<long long>(n_out), static_cast<long long>(n_in));
}

DenseOverride::DenseOverride(const float* w, int64_t n_out, int64_t n_in, tensor::DType storage)
    : w_(w), storage_(storage), n_out_(n_out), n_in_(n_in) {
  T2_CHECK(w != nullptr && n_out > 0 && n_in > 0, "dense override: no weight for [%lld, %lld]",
           static_cast<long long>(n_out), static_cast<long long>(n_in));
  if (storage_ != tensor::DType::f32) {
    const size_t n = static_cast<size_t>(n_out * n_in);
    stored_.resize(n * tensor::dtype_size(storage_));
    tensor::convert_from_f32(w, storage_, stored_.data(), n);
    w_ = nullptr;
  }
}

void DenseOverride::forward(const float* x, float* y, int64_t n,
                            std::span<const int32_t>) const {
  if (w_ != nullptr) {
    ops::linear(x, w_, y, n, n_out_, n_in_);
  } else {
    tensor::linear(x, stored_.data(), storage_, y, n, n_out_, n_in_);
  }
}

std::vector<int32_t> greedy_rollout(const std::shared_ptr<const model::LlamaModel>& m,
                                    const std::vector<Override>& overrides,
                                    const std::vector<int32_t>& prompt, int64_t max_new,
                                    const std::vector<int32_t>& eos_ids,
                                    const std::function<bool(const std::vector<int32_t>&)>& stop) {
  T2_CHECK(!prompt.empty(), "greedy rollout of an empty prompt");
  T2_CHECK(static_cast<int64_t>(prompt.size()) + max_new <= m->config().n_ctx_max,
           "prompt of %zu tokens + %lld new tokens exceeds the context limit %lld", prompt.size(),
           static_cast<long long>(max_new), static_cast<long long>(m->config().n_ctx_max));
  model::RunContext ctx(m);
  for (const Override& o : overrides) ctx.set_override(o.name, o.ov);
  const int32_t slot = ctx.add_sequence(static_cast<int64_t>(prompt.size()) + max_new);
  const int64_t nv = m->config().n_vocab;
  std::vector<int32_t> out;
  std::vector<int32_t> next = prompt;
  for (int64_t t = 0; t < max_new; ++t) {
    model::SeqChunk chunk{slot, next, model::OutputRows::last};
    m->forward(ctx, std::span<const model::SeqChunk>(&chunk, 1));
    const float* logits = m->logits(ctx, 0, 1);
    const int32_t tok = static_cast<int32_t>(std::max_element(logits, logits + nv) - logits);
    out.push_back(tok);
    if (std::find(eos_ids.begin(), eos_ids.end(), tok) != eos_ids.end()) break;
    if (stop && stop(out)) break;
    next.assign(1, tok);
  }
  return out;
}

std::vector<std::vector<int32_t>> greedy_rollouts(
    const std::shared_ptr<const model::LlamaModel>& m, const std::vector<Override>& overrides,
    std::span<const std::vector<int32_t>> prompts, int64_t max_new,
    const std::vector<int32_t>& eos_ids,
    const std::function<bool(const std::vector<int32_t>&)>& stop, int64_t max_batch_tokens) {
  std::vector<model::GenerationRequest> req(prompts.size());
  for (size_t j = 0; j < prompts.size(); ++j) {
    T2_CHECK(!prompts[j].empty(), "greedy rollout of an empty prompt (prompt %zu)", j);
    T2_CHECK(static_cast<int64_t>(prompts[j].size()) + max_new <= m->config().n_ctx_max,
             "prompt %zu: %zu tokens + %lld new tokens exceeds the context limit %lld", j,
             prompts[j].size(), static_cast<long long>(max_new),
             static_cast<long long>(m->config().n_ctx_max));
    req[j].id = j;
    req[j].prompt = prompts[j];
    req[j].max_new_tokens = max_new;  // sampling stays greedy (temperature 0)
  }
  if (req.empty() || max_new <= 0) return std::vector<std::vector<int32_t>>(prompts.size());
  model::RunContext ctx(m);
  for (const Override& o : overrides) ctx.set_override(o.name, o.ov);
  model::GenerationOptions go;
  go.stop_token_ids = eos_ids;
  go.use_eos = false;  // exactly eos_ids, as greedy_rollout
  go.max_batch_tokens = max_batch_tokens;
  std::vector<int32_t> scratch;
  if (stop) {
    go.stop_check = [&](int32_t, std::span<const int32_t> generated) {
      scratch.assign(generated.begin(), generated.end());
      return stop(scratch);
    };
  }
  std::vector<model::GenerationResult> res = model::generate(ctx, req, go);
  std::vector<std::vector<int32_t>> out(prompts.size());
  for (size_t j = 0; j < res.size(); ++j) {
    T2_CHECK(res[j].finish != model::FinishReason::error, "greedy rollout of prompt %zu: %s", j,
             res[j].error.c_str());
    out[j] = std::move(res[j].tokens);
  }
  return out;
}

}  // namespace t2::train
