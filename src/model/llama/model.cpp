// Llama forward pass over a batch of sequence chunks (see model.h for the data flow).
// Shapes use: n = rows of the batch (sum of chunk lengths), d = n_embd, qd = local q width
// (n_head_local * head_dim), kvd = local kv width, ff = local n_ff.
#include "model/llama/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "base/error.h"
#include "model/llama/gguf_checkpoint.h"  // llama_config_from_gguf
#include "model/run_context.h"
#include "tensor/ops.h"  // linear, rms_norm, rope, kv_store, attention_cached, silu_mul, ...

namespace t2::model {

namespace {

template <typename T>
T* grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// The one entry point of every decoder projection: an override registered for this weight in the
// run, else the base weight. y[n, w.rows] = x[n, w.cols] · Wᵀ.
void project(const RunContext& ctx, const Weight& w, const float* x, float* y, int64_t n,
             std::span<const int32_t> row_seq) {
  if (const LinearOverride* ov = ctx.override_for(w.index)) {
    ov->forward(x, y, n, row_seq);
  } else {
    tensor::linear(x, w.data, w.dtype, y, n, w.rows, w.cols);
  }
}

}  // namespace

std::shared_ptr<const LlamaModel> LlamaModel::load(const std::string& path, const LoadOptions& opt) {
  std::shared_ptr<LlamaModel> m(new LlamaModel());
  m->dir_ = path;
  m->tp_ = opt.tp;
  std::error_code ec;
  T2_CHECK(std::filesystem::exists(path, ec), "model path %s does not exist (expected a Hugging "
           "Face model directory with config.json, or a .gguf file)", path.c_str());
  if (std::filesystem::is_regular_file(path, ec)) {
    auto file = std::make_shared<const io::GgufFile>(path);  // throws when it is not GGUF
    m->config_ = llama_config_from_gguf(*file);
    m->weights_ = std::make_unique<LlamaWeights>(file, m->config_, opt.tp, opt.gguf_dtype);
  } else {
    m->config_ = opt.config ? *opt.config : load_llama_config(path);
    m->weights_ = std::make_unique<LlamaWeights>(path, m->config_, opt.tp, opt.stored_name);
  }
  m->inv_freq_ = rope_inv_freq(m->config_);
  if (const DeviceModelFactory& device = device_model_factory()) m->device_ = device(*m);
  return m;
}

int64_t LlamaModel::forward(RunContext& ctx, std::span<const SeqChunk> batch) const {
  const LlamaConfig& c = config_;
  T2_CHECK(&ctx.model() == this, "RunContext belongs to a different model");
  T2_CHECK(tp_.size == 1 || ctx.all_reduce(),
           "model is tensor-parallel shard %d of %d but the RunContext has no all-reduce hook",
           tp_.rank, tp_.size);
  // Validate everything before touching any cache.
  int64_t n = 0, n_out = 0, max_chunk = 0;
  RunContext::Scratch& s = ctx.scratch();
  int64_t* pos0 = grow(s.chunk_pos0, batch.size());
  int64_t* row0 = grow(s.chunk_row0, batch.size());
  for (size_t b = 0; b < batch.size(); ++b) {
    const SeqChunk& ch = batch[b];
    for (size_t e = 0; e < b; ++e)
      T2_CHECK(batch[e].slot != ch.slot, "sequence slot %d appears twice in one batch", ch.slot);
    pos0[b] = ctx.seq_len(ch.slot);
    const int64_t len = static_cast<int64_t>(ch.tokens.size());
    const int64_t end = pos0[b] + len;
    T2_CHECK(end <= c.n_ctx_max,
             "sequence %d would reach %lld tokens, beyond the context limit of %lld "
             "(max_position_embeddings); shorten the prompt or the generation",
             ch.slot, static_cast<long long>(end), static_cast<long long>(c.n_ctx_max));
    T2_CHECK(c.sliding_window == 0 || end <= c.sliding_window,
             "sequence %d would reach %lld tokens, beyond the sliding window of %lld, which this "
             "engine does not implement", ch.slot, static_cast<long long>(end),
             static_cast<long long>(c.sliding_window));
    for (int32_t t : ch.tokens)
      T2_CHECK(t >= 0 && t < c.n_vocab, "token id %d of sequence %d is outside the vocabulary "
               "[0, %lld)", t, ch.slot, static_cast<long long>(c.n_vocab));
    for (const EmbeddingRun& e : ch.embeds)
      T2_CHECK(e.pos >= 0 && e.n >= 0 && (e.n == 0 || e.data != nullptr),
               "sequence %d: input embeddings for positions [%lld, %lld) are malformed (negative "
               "position or count, or no data)", ch.slot, static_cast<long long>(e.pos),
               static_cast<long long>(e.pos + e.n));
    n += len;
    max_chunk = std::max(max_chunk, len);
    n_out += ch.output == OutputRows::all ? len : (ch.output == OutputRows::last && len > 0);
  }
  if (DeviceRun* device = ctx.device_run()) return device->forward(ctx, batch);
  const int64_t d = c.n_embd, hd = c.head_dim;
  const int64_t nh = n_head_local(), nkv = n_head_kv_local();
  const int64_t qd = nh * hd, kvd = nkv * hd, ff = n_ff_local();
  float* x = grow(s.x, n * d);        // [n, d] residual stream
  float* h = grow(s.h, n * d);        // [n, d] normed input of a block
  float* q = grow(s.q, n * qd);       // [n, nh, hd]
  float* k = grow(s.k, n * kvd);      // [n, nkv, hd]
  float* v = grow(s.v, n * kvd);      // [n, nkv, hd]
  float* attn = grow(s.attn, n * qd); // [n, nh, hd]
  float* proj = grow(s.proj, n * d);  // [n, d] output of o_proj / down_proj
  float* gate = grow(s.gate, n * ff); // [n, ff]
  float* up = grow(s.up, n * ff);     // [n, ff]
  int32_t* pos = grow(s.pos, n);
  int32_t* row_seq = grow(s.row_seq, n);
  int32_t* tokens = grow(s.tokens, n);
  for (size_t b = 0, r = 0; b < batch.size(); ++b) {
    row0[b] = static_cast<int64_t>(r);
    ctx.cache(batch[b].slot).reserve(pos0[b] + static_cast<int64_t>(batch[b].tokens.size()));
    for (size_t i = 0; i < batch[b].tokens.size(); ++i, ++r) {
      pos[r] = static_cast<int32_t>(pos0[b] + static_cast<int64_t>(i));
      row_seq[r] = batch[b].slot;
      tokens[r] = batch[b].tokens[i];
    }
  }
  const std::span<const int32_t> seq_span(row_seq, static_cast<size_t>(n));
  const float eps = static_cast<float>(c.rms_norm_eps);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const Weight& embed = weights_->embed_tokens();
  if (n > 0) tensor::embedding(embed.data, embed.dtype, c.n_vocab, tokens, x, n, d);
  // Given input vectors replace the token embeddings of the positions they cover.
  for (size_t b = 0; b < batch.size(); ++b) {
    const int64_t begin = pos0[b], end = begin + static_cast<int64_t>(batch[b].tokens.size());
    for (const EmbeddingRun& e : batch[b].embeds) {
      const int64_t lo = std::max(begin, e.pos), hi = std::min(end, e.pos + e.n);
      if (lo < hi)
        std::memcpy(x + (row0[b] + lo - begin) * d, e.data + (lo - e.pos) * d,
                    static_cast<size_t>((hi - lo) * d) * sizeof(float));
    }
  }

  // Attention per sequence; many small chunks (decode) run in parallel, a long one uses the
  // kernel's own threads.
  // Small work stays on one thread (a parallel region costs more than it saves there).
  const int64_t n_chunks = static_cast<int64_t>(batch.size());
  int64_t attn_work = 0;  // multiply-adds of all chunks' attention
  for (size_t b = 0; b < batch.size(); ++b)
    attn_work += static_cast<int64_t>(batch[b].tokens.size()) * (pos0[b] + max_chunk) * nh * hd;
  const bool chunks_parallel = n_chunks > 1 && max_chunk <= 16 && attn_work >= (int64_t(1) << 20);

  for (int64_t l = 0; n > 0 && l < c.n_layer; ++l) {
    const LayerWeights& L = weights_->layer(l);
    tensor::rms_norm(x, static_cast<const float*>(L[LayerTensor::attn_norm].data), h, n, d, eps);
    project(ctx, L[LayerTensor::q_proj], h, q, n, seq_span);
    project(ctx, L[LayerTensor::k_proj], h, k, n, seq_span);
    project(ctx, L[LayerTensor::v_proj], h, v, n, seq_span);
    tensor::rope(q, pos, inv_freq_.data(), n, nh, hd);
    tensor::rope(k, pos, inv_freq_.data(), n, nkv, hd);
    auto attend = [&](int64_t b) {
      const int64_t len = static_cast<int64_t>(batch[b].tokens.size());
      if (len == 0) return;
      const tensor::KvLayer kv = ctx.cache(batch[b].slot).layer(l);
      tensor::kv_store(kv, k + row0[b] * kvd, v + row0[b] * kvd, len, pos0[b], nkv, hd);
      tensor::attention_cached(q + row0[b] * qd, kv, attn + row0[b] * qd, len, pos0[b], nh, nkv,
                               hd, scale);
    };
    if (chunks_parallel) {
      tensor::parallel_for(n_chunks, attend);
    } else {
      for (int64_t b = 0; b < n_chunks; ++b) attend(b);
    }
    project(ctx, L[LayerTensor::o_proj], attn, proj, n, seq_span);
    if (tp_.size > 1) ctx.all_reduce()(proj, static_cast<size_t>(n * d));
    tensor::add(x, proj, x, n * d);

    tensor::rms_norm(x, static_cast<const float*>(L[LayerTensor::ffn_norm].data), h, n, d, eps);
    project(ctx, L[LayerTensor::gate_proj], h, gate, n, seq_span);
    project(ctx, L[LayerTensor::up_proj], h, up, n, seq_span);
    tensor::silu_mul(gate, up, gate, n * ff);
    project(ctx, L[LayerTensor::down_proj], gate, proj, n, seq_span);
    if (tp_.size > 1) ctx.all_reduce()(proj, static_cast<size_t>(n * d));
    tensor::add(x, proj, x, n * d);
    if (ctx.layer_observer()) ctx.layer_observer()(l, x, n, seq_span);
  }
  for (size_t b = 0; b < batch.size(); ++b)
    ctx.cache(batch[b].slot).set_n_tokens(pos0[b] + static_cast<int64_t>(batch[b].tokens.size()));

  // Final norm of the requested rows only.
  float* hidden = grow(ctx.hidden_buffer(), static_cast<size_t>(std::max<int64_t>(n_out, 1) * d));
  std::vector<int32_t>& hidden_seq = ctx.hidden_seq_buffer();
  hidden_seq.clear();
  const float* fnorm = static_cast<const float*>(weights_->final_norm().data);
  int64_t o = 0;
  for (size_t b = 0; b < batch.size(); ++b) {
    const int64_t len = static_cast<int64_t>(batch[b].tokens.size());
    if (len == 0 || batch[b].output == OutputRows::none) continue;
    const int64_t first = batch[b].output == OutputRows::all ? 0 : len - 1;
    const int64_t count = len - first;
    tensor::rms_norm(x + (row0[b] + first) * d, fnorm, hidden + o * d, count, d, eps);
    hidden_seq.insert(hidden_seq.end(), static_cast<size_t>(count), batch[b].slot);
    o += count;
  }
  return n_out;
}

float* LlamaModel::logits(RunContext& ctx, int64_t row0, int64_t n) const {
  const int64_t n_rows = static_cast<int64_t>(ctx.hidden_seq().size());
  T2_CHECK(row0 >= 0 && n >= 0 && row0 + n <= n_rows,
           "logits rows [%lld, %lld) requested but the last forward produced %lld rows",
           static_cast<long long>(row0), static_cast<long long>(row0 + n),
           static_cast<long long>(n_rows));
  if (DeviceRun* device = ctx.device_run()) return device->logits(ctx, row0, n);
  float* out = grow(ctx.scratch().logits, static_cast<size_t>(std::max<int64_t>(n, 1) * config_.n_vocab));
  const std::span<const int32_t> seq(ctx.hidden_seq().data() + row0, static_cast<size_t>(n));
  if (n > 0) project(ctx, weights_->lm_head(), ctx.hidden() + row0 * config_.n_embd, out, n, seq);
  return out;
}

}  // namespace t2::model
