// Batched generation scheduler and teacher-forced scoring (see generate.h).
#include "model/generate.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "base/timer.h"
#include "model/device_forward.h"  // DeviceRun::select
#include "tensor/ops.h"  // log_softmax

namespace t2::model {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::stop_token: return "stop";
    case FinishReason::stop_string: return "stop_string";
    case FinishReason::max_tokens: return "length";
    case FinishReason::context_limit: return "context_limit";
    case FinishReason::error: return "error";
  }
  return "?";
}

namespace {

struct Active {
  int32_t request;
  int64_t n_fed = 0;      // tokens of prompt + generated already in the cache
  Rng rng{0};
};

}  // namespace

std::vector<GenerationResult> generate(RunContext& ctx, std::span<const GenerationRequest> requests,
                                       const GenerationOptions& opt) {
  const LlamaModel& m = ctx.model();
  const LlamaConfig& c = m.config();
  const int64_t limit = opt.context_limit > 0 ? std::min(opt.context_limit, c.n_ctx_max) : c.n_ctx_max;
  T2_CHECK(opt.max_batch_tokens >= 1, "max_batch_tokens must be >= 1");
  std::vector<int32_t> stop_ids = opt.stop_token_ids;
  if (opt.use_eos && stop_ids.empty()) stop_ids = c.eos_token_ids;
  const Timer timer;
  ctx.clear_all();
  std::vector<GenerationResult> results(requests.size());
  std::vector<Active> active;
  // seq[j]: the full token list of request j (prompt then generated).
  std::vector<std::vector<int32_t>> seq(requests.size());
  for (size_t j = 0; j < requests.size(); ++j) {
    const GenerationRequest& r = requests[j];
    GenerationResult& res = results[j];
    res.n_prompt = static_cast<int64_t>(r.prompt.size());
    const int64_t n_prompt = res.n_prompt;
    const int32_t slot = ctx.add_sequence();  // slot j == request j
    auto fail = [&](std::string msg) {
      res.finish = FinishReason::error;
      res.error = std::move(msg);
    };
    if (n_prompt == 0) { fail("empty prompt (at least one token, e.g. BOS, is needed)"); continue; }
    if (n_prompt > limit) {
      fail(t2::format("prompt has %lld tokens but the context limit is %lld",
                      static_cast<long long>(n_prompt), static_cast<long long>(limit)));
      continue;
    }
    if (r.sampling.top_p <= 0.0f || r.sampling.top_p > 1.0f) {
      fail(t2::format("top_p must be in (0, 1], got %g", static_cast<double>(r.sampling.top_p)));
      continue;
    }
    const auto bad = std::find_if(r.prompt.begin(), r.prompt.end(),
                                  [&](int32_t t) { return t < 0 || t >= c.n_vocab; });
    if (bad != r.prompt.end()) {
      fail(t2::format("prompt token %d at position %lld is outside the vocabulary [0, %lld)", *bad,
                      static_cast<long long>(bad - r.prompt.begin()), static_cast<long long>(c.n_vocab)));
      continue;
    }
    const auto bad_run = std::find_if(r.embeds.begin(), r.embeds.end(), [&](const EmbeddingRun& e) {
      return e.pos < 0 || e.n < 0 || e.pos + e.n > n_prompt || (e.n > 0 && e.data == nullptr);
    });
    if (bad_run != r.embeds.end()) {
      fail(t2::format("input embeddings for positions [%lld, %lld) do not lie inside the %lld-token "
                      "prompt (or have no data)", static_cast<long long>(bad_run->pos),
                      static_cast<long long>(bad_run->pos + bad_run->n),
                      static_cast<long long>(n_prompt)));
      continue;
    }
    if (r.max_new_tokens <= 0) { res.finish = FinishReason::max_tokens; continue; }
    if (n_prompt == limit) { res.finish = FinishReason::context_limit; continue; }
    ctx.cache(slot).reserve(std::min(limit, n_prompt + r.max_new_tokens));
    seq[j] = r.prompt;
    seq[j].reserve(static_cast<size_t>(n_prompt + r.max_new_tokens));
    active.push_back({static_cast<int32_t>(j), 0, Rng::stream(opt.seed, r.id, RngPurpose::sampling)});
  }

  SamplerScratch sampler;
  std::vector<SeqChunk> batch;
  std::vector<size_t> batch_active;  // index into `active` of each chunk
  std::vector<char> finished;
  std::vector<int32_t> picked;           // device-selected tokens of the step's output rows
  std::vector<float> picked_lp;          // and their log-probabilities
  std::vector<SamplingParams> params;    // per output row
  std::vector<double> draws;             // per output row: the uniform of its sampling stream
  std::vector<Rng> rng_before;           // per output row: its stream before that draw
  while (!active.empty()) {
    batch.clear();
    batch_active.clear();
    // Decode tokens first (they are cheap and keep latency fair), then prompt chunks in budget.
    int64_t budget = opt.max_batch_tokens;
    for (int pass = 0; pass < 2; ++pass) {
      for (size_t a = 0; a < active.size(); ++a) {
        Active& s = active[a];
        const auto& all = seq[s.request];
        const int64_t pending = static_cast<int64_t>(all.size()) - s.n_fed;
        const bool decoding = s.n_fed >= static_cast<int64_t>(requests[s.request].prompt.size());
        if ((pass == 0) != decoding) continue;
        const int64_t take = decoding ? 1 : std::min(pending, budget);
        if (take <= 0 || (!decoding && budget <= 0)) continue;
        budget -= take;
        const bool reaches_end = s.n_fed + take == static_cast<int64_t>(all.size());
        batch.push_back({s.request, std::span(all).subspan(s.n_fed, take),
                         reaches_end ? OutputRows::last : OutputRows::none,
                         requests[s.request].embeds});
        batch_active.push_back(a);
      }
    }
    for (size_t b = 0; b < batch.size(); ++b) {
      const Active& s = active[batch_active[b]];
      if (s.n_fed == 0) results[s.request].admitted_s = timer.seconds();
    }
    const int64_t n_out = m.forward(ctx, batch);
    // On a device the tokens are chosen there (only ids and log-probs come back); a row whose
    // nucleus is too large for the device sampler (-1) is sampled here from its logits with the
    // same uniform draw.
    DeviceRun* device = ctx.device_run();
    const float* logits = device ? nullptr : m.logits(ctx, 0, n_out);
    if (device) {
      picked.assign(static_cast<size_t>(n_out), 0);
      picked_lp.assign(static_cast<size_t>(n_out), 0.0f);
      params.clear();
      draws.clear();
      rng_before.clear();
      for (size_t b = 0; b < batch.size(); ++b) {
        if (batch[b].output != OutputRows::last) continue;
        Active& s = active[batch_active[b]];
        const SamplingParams& sp = requests[s.request].sampling;
        rng_before.push_back(s.rng);
        params.push_back(sp);
        draws.push_back(sp.temperature > 0.0f ? s.rng.uniform() : 0.0);
      }
      device->select(ctx, n_out, params, draws, picked.data(),
                     opt.want_logprobs ? picked_lp.data() : nullptr);
    }
    int64_t row = 0;
    finished.assign(active.size(), 0);
    for (size_t b = 0; b < batch.size(); ++b) {
      Active& s = active[batch_active[b]];
      s.n_fed += static_cast<int64_t>(batch[b].tokens.size());
      if (batch[b].output != OutputRows::last) continue;
      const GenerationRequest& r = requests[s.request];
      GenerationResult& res = results[s.request];
      int32_t tok = 0;
      if (device && picked[row] >= 0) {
        tok = picked[row];
        if (opt.want_logprobs) res.logprobs.push_back(picked_lp[row]);
      } else {
        const float* lg = device ? m.logits(ctx, row, 1) : logits + row * c.n_vocab;
        if (device) s.rng = rng_before[row];  // the draw the device did not use, made again
        tok = sample_token(lg, c.n_vocab, r.sampling, s.rng, sampler);
        if (opt.want_logprobs) res.logprobs.push_back(static_cast<float>(token_logprob(lg, c.n_vocab, tok)));
      }
      ++row;
      seq[s.request].push_back(tok);
      res.tokens.push_back(tok);
      res.n_generated = static_cast<int64_t>(res.tokens.size());
      if (opt.on_token) opt.on_token(s.request, tok);
      bool done = true;
      if (std::find(stop_ids.begin(), stop_ids.end(), tok) != stop_ids.end()) {
        res.finish = FinishReason::stop_token;
      } else if (opt.stop_check && opt.stop_check(s.request, res.tokens)) {
        res.finish = FinishReason::stop_string;
      } else if (res.n_generated >= r.max_new_tokens) {
        res.finish = FinishReason::max_tokens;
      } else if (res.n_prompt + res.n_generated >= limit) {
        res.finish = FinishReason::context_limit;
      } else {
        done = false;
      }
      if (done) {
        res.seconds = timer.seconds();
        finished[batch_active[b]] = 1;
      }
    }
    size_t w = 0;
    for (size_t a = 0; a < active.size(); ++a) {
      if (finished[a]) {
        ctx.release_sequence(active[a].request);
      } else {
        active[w++] = std::move(active[a]);
      }
    }
    active.erase(active.begin() + static_cast<std::ptrdiff_t>(w), active.end());
  }
  for (auto& res : results)
    if (res.finish == FinishReason::error || res.n_generated == 0)
      res.admitted_s = res.seconds = timer.seconds();
  return results;
}

std::vector<std::vector<float>> score(RunContext& ctx,
                                      std::span<const std::vector<int32_t>> sequences,
                                      const ScoreOptions& opt) {
  return score(ctx, sequences, {}, opt);
}

std::vector<std::vector<float>> score(RunContext& ctx,
                                      std::span<const std::vector<int32_t>> sequences,
                                      std::span<const std::vector<EmbeddingRun>> embeds,
                                      const ScoreOptions& opt) {
  const LlamaModel& m = ctx.model();
  const int64_t nv = m.config().n_vocab;
  T2_CHECK(opt.max_batch_tokens >= 1 && opt.logits_rows >= 1,
           "score: max_batch_tokens and logits_rows must be >= 1");
  T2_CHECK(embeds.empty() || embeds.size() == sequences.size(),
           "score: %zu lists of input embeddings for %zu sequences", embeds.size(), sequences.size());
  ctx.clear_all();
  std::vector<std::vector<float>> out(sequences.size());
  for (size_t j = 0; j < sequences.size(); ++j) {
    const int64_t n = static_cast<int64_t>(sequences[j].size());
    T2_CHECK(n <= m.config().n_ctx_max,
             "sequence %zu has %lld tokens, beyond the context limit of %lld", j,
             static_cast<long long>(n), static_cast<long long>(m.config().n_ctx_max));
    for (int64_t i = 0; i < n; ++i)
      T2_CHECK(sequences[j][i] >= 0 && sequences[j][i] < nv,
               "sequence %zu: token %d at position %lld is outside the vocabulary [0, %lld)", j,
               sequences[j][i], static_cast<long long>(i), static_cast<long long>(nv));
    for (const EmbeddingRun& e : embeds.empty() ? std::span<const EmbeddingRun>() : embeds[j])
      T2_CHECK(e.pos >= 0 && e.n >= 0 && e.pos + e.n <= n,
               "sequence %zu: input embeddings for positions [%lld, %lld) do not lie inside its "
               "%lld tokens", j, static_cast<long long>(e.pos),
               static_cast<long long>(e.pos + e.n), static_cast<long long>(n));
    ctx.add_sequence();  // memory is reserved when the sequence is fed, freed when done
    out[j].reserve(n > 0 ? static_cast<size_t>(n - 1) : 0);
  }
  std::vector<int64_t> fed(sequences.size(), 0);
  std::vector<SeqChunk> batch;
  size_t next = 0;  // sequences before `next` are fully fed
  while (next < sequences.size()) {
    batch.clear();
    int64_t budget = opt.max_batch_tokens;
    for (size_t j = next; j < sequences.size() && budget > 0; ++j) {
      // The last token of a sequence predicts nothing, so it is never fed.
      const int64_t want = std::max<int64_t>(0, static_cast<int64_t>(sequences[j].size()) - 1) - fed[j];
      if (want <= 0) continue;
      const int64_t take = std::min(want, budget);
      budget -= take;
      if (fed[j] == 0) ctx.cache(static_cast<int32_t>(j)).reserve(want);  // whole sequence once
      batch.push_back({static_cast<int32_t>(j), std::span(sequences[j]).subspan(fed[j], take),
                       OutputRows::all,
                       embeds.empty() ? std::span<const EmbeddingRun>() : std::span(embeds[j])});
    }
    if (batch.empty()) break;
    const int64_t n_out = m.forward(ctx, batch);
    // Row r of the output predicts the token after its input position.
    std::vector<int32_t> target(static_cast<size_t>(n_out));
    std::vector<int32_t> owner(static_cast<size_t>(n_out));
    int64_t r = 0;
    for (const SeqChunk& ch : batch) {
      const auto& ids = sequences[ch.slot];
      for (size_t i = 0; i < ch.tokens.size(); ++i, ++r) {
        target[r] = ids[fed[ch.slot] + static_cast<int64_t>(i) + 1];
        owner[r] = ch.slot;
      }
      fed[ch.slot] += static_cast<int64_t>(ch.tokens.size());
    }
    for (int64_t r0 = 0; r0 < n_out; r0 += opt.logits_rows) {
      const int64_t rows = std::min(opt.logits_rows, n_out - r0);
      float* lg = m.logits(ctx, r0, rows);
      tensor::log_softmax(lg, lg, rows, nv);
      for (int64_t i = 0; i < rows; ++i) out[owner[r0 + i]].push_back(lg[i * nv + target[r0 + i]]);
    }
    while (next < sequences.size() &&
           fed[next] >= static_cast<int64_t>(sequences[next].size()) - 1) {
      ctx.release_sequence(static_cast<int32_t>(next));
      ++next;
    }
  }
  return out;
}

}  // namespace t2::model
