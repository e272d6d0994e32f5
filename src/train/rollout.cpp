// Dense override and greedy rollouts through the engine.
#include "train/rollout.h"

#include <algorithm>

#include "base/error.h"
#include "model/run_context.h"
#include "train/grad_ops.h"

namespace t2::train {

DenseOverride::DenseOverride(std::vector<float> w, int64_t n_out, int64_t n_in)
    : w_(std::move(w)), n_out_(n_out), n_in_(n_in) {
  T2_CHECK(static_cast<int64_t>(w_.size()) == n_out * n_in, "dense override: %zu values for "
           "[%lld, %lld]", w_.size(), static_cast<long long>(n_out), static_cast<long long>(n_in));
}

void DenseOverride::forward(const float* x, float* y, int64_t n,
                            std::span<const int32_t>) const {
  ops::linear(x, w_.data(), y, n, n_out_, n_in_);
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

}  // namespace t2::train
