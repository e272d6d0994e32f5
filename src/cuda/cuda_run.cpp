// The forward pass of a batch on the device (see cuda_run.h). Mirrors LlamaModel::forward step for
// step (model/llama/model.cpp); the batch was validated there before it reached this file.
#include "cuda/cuda_run.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/error.h"
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "model/run_context.h"
#include "model/sampling.h"

namespace t2::cuda {

namespace {

template <typename T>
T* grow(DeviceBuffer& b, int64_t n, const char* what) {
  b.reserve(static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(T), what);
  return b.as<T>();
}

}  // namespace

CudaRun::CudaRun(const model::LlamaModel& m, const CudaModel& dev) : m_(m), dev_(dev) {
  T2_CUDA_CHECK(cudaSetDevice(dev.device()));
  T2_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  blas_ = std::make_unique<Blas>(stream_);
  overrides_ = std::make_unique<DeviceOverrides>(*blas_);
}

CudaRun::~CudaRun() {
  overrides_.reset();
  blas_.reset();
  if (stream_) cudaStreamDestroy(stream_);
}

void CudaRun::reserve_slot(int32_t slot, int64_t n, int64_t keep) {
  SlotCache& s = slots_[slot];
  if (n <= s.capacity) return;
  const model::LlamaConfig& c = m_.config();
  const int64_t cap = std::max<int64_t>(n, std::min<int64_t>(2 * s.capacity, n + 4096));
  const int64_t blocks = c.n_layer * 2 * m_.n_head_kv_local();
  const size_t es = tensor::dtype_size(kv_dtype_);
  const size_t bytes = static_cast<size_t>(blocks * cap * c.head_dim) * es;
  DeviceBuffer fresh;
  for (auto it = spare_.begin(); it != spare_.end(); ++it) {
    if (it->bytes() >= bytes) {
      fresh = std::move(*it);
      spare_.erase(it);
      break;
    }
  }
  if (!fresh.get()) {
    try {
      fresh.reserve(bytes, "the key/value cache of a sequence");
    } catch (const Error& e) {
      spare_.clear();  // give back what released sequences kept and cached W', then try once more
      overrides_->drop_cache();
      T2_CUDA_CHECK(cudaStreamSynchronize(stream_));
      fresh.reserve(bytes, format("the key/value cache of sequence %d (%lld tokens)", slot,
                                  static_cast<long long>(cap)).c_str());
    }
  }
  if (keep > 0) {
    // Each (layer, side, kv head) block keeps its first `keep` positions.
    T2_CUDA_CHECK(cudaMemcpy2DAsync(fresh.get(), static_cast<size_t>(cap * c.head_dim) * es,
                                    s.buf.get(), static_cast<size_t>(s.capacity * c.head_dim) * es,
                                    static_cast<size_t>(keep * c.head_dim) * es,
                                    static_cast<size_t>(blocks), cudaMemcpyDeviceToDevice, stream_));
  }
  T2_CUDA_CHECK(cudaStreamSynchronize(stream_));  // the old buffer may be freed now
  s.buf = std::move(fresh);
  s.capacity = cap;
}

void CudaRun::project(const model::RunContext& ctx, const model::Weight& w, const float* x,
                      float* y, int64_t n, std::span<const int32_t> row_seq) {
  if (const model::LinearOverride* ov = ctx.override_for(w.index)) {
    if (const model::RoutedLinear* rl = ov->routed()) {  // an SVF override: run on the device
      overrides_->apply(*rl, w, dev_.weight(w.index), x, y, n, row_seq);
      return;
    }
    // Any other override runs on host copies of the rows (exact; slow).
    h_x_.resize(static_cast<size_t>(n * w.cols));
    h_y_.resize(static_cast<size_t>(n * w.rows));
    T2_CUDA_CHECK(cudaMemcpyAsync(h_x_.data(), x, h_x_.size() * sizeof(float),
                                  cudaMemcpyDeviceToHost, stream_));
    T2_CUDA_CHECK(cudaStreamSynchronize(stream_));
    ov->forward(h_x_.data(), h_y_.data(), n, row_seq);
    T2_CUDA_CHECK(cudaMemcpyAsync(y, h_y_.data(), h_y_.size() * sizeof(float),
                                  cudaMemcpyHostToDevice, stream_));
    T2_CUDA_CHECK(cudaStreamSynchronize(stream_));  // h_y_ is reused by the next override
    return;
  }
  blas_->linear(x, dev_.weight(w.index), dev_.weight_dtype(w.index), y, n, w.rows, w.cols);
}

int64_t CudaRun::forward(model::RunContext& ctx, std::span<const model::SeqChunk> batch) {
  const model::LlamaConfig& c = m_.config();
  T2_CUDA_CHECK(cudaSetDevice(dev_.device()));
  if (slots_.size() < static_cast<size_t>(ctx.n_sequences()))
    slots_.resize(static_cast<size_t>(ctx.n_sequences()));
  int64_t n = 0, n_out = 0;
  std::vector<int64_t> pos0(batch.size()), row0(batch.size());
  for (size_t b = 0; b < batch.size(); ++b) {
    const int64_t len = static_cast<int64_t>(batch[b].tokens.size());
    pos0[b] = ctx.seq_len(batch[b].slot);
    row0[b] = n;
    n += len;
    n_out += batch[b].output == model::OutputRows::all ? len
             : (batch[b].output == model::OutputRows::last && len > 0);
    if (len > 0) reserve_slot(batch[b].slot, pos0[b] + len, pos0[b]);
  }
  const int64_t d = c.n_embd, hd = c.head_dim;
  const int64_t nh = m_.n_head_local(), nkv = m_.n_head_kv_local();
  const int64_t qd = nh * hd, kvd = nkv * hd, ff = m_.n_ff_local();
  // Host row table: token, position, sequence slot, cache base and capacity of every row.
  h_tokens_.resize(static_cast<size_t>(n));
  h_pos_.resize(static_cast<size_t>(n));
  h_cap_.resize(static_cast<size_t>(n));
  h_row_seq_.resize(static_cast<size_t>(n));
  h_base_.resize(static_cast<size_t>(n));
  for (size_t b = 0; b < batch.size(); ++b) {
    const SlotCache& s = slots_[batch[b].slot];
    for (size_t i = 0; i < batch[b].tokens.size(); ++i) {
      const size_t r = static_cast<size_t>(row0[b]) + i;
      h_tokens_[r] = batch[b].tokens[i];
      h_pos_[r] = static_cast<int32_t>(pos0[b] + static_cast<int64_t>(i));
      h_cap_[r] = static_cast<int32_t>(s.capacity);
      h_row_seq_[r] = batch[b].slot;
      h_base_[r] = reinterpret_cast<unsigned long long>(s.buf.get());
    }
  }
  float* x = grow<float>(x_, n * d, "activations");
  float* h = grow<float>(h_, n * d, "activations");
  float* q = grow<float>(q_, n * qd, "activations");
  float* k = grow<float>(k_, n * kvd, "activations");
  float* v = grow<float>(v_, n * kvd, "activations");
  float* attn = grow<float>(attn_, n * qd, "activations");
  float* proj = grow<float>(proj_, n * d, "activations");
  float* gate = grow<float>(gate_, n * ff, "activations");
  float* up = grow<float>(up_, n * ff, "activations");
  int32_t* ids = grow<int32_t>(ids_, n, "token ids");
  // rows_: base [n] u64, then pos [n] and cap [n] i32.
  rows_.reserve(static_cast<size_t>(std::max<int64_t>(n, 1)) * 16, "the batch's row table");
  auto* d_base = rows_.as<unsigned long long>();
  auto* d_pos = reinterpret_cast<int32_t*>(d_base + n);
  int32_t* d_cap = d_pos + n;
  if (n > 0) {
    T2_CUDA_CHECK(cudaMemcpyAsync(ids, h_tokens_.data(), n * sizeof(int32_t), cudaMemcpyHostToDevice, stream_));
    T2_CUDA_CHECK(cudaMemcpyAsync(d_base, h_base_.data(), n * sizeof(unsigned long long), cudaMemcpyHostToDevice, stream_));
    T2_CUDA_CHECK(cudaMemcpyAsync(d_pos, h_pos_.data(), n * sizeof(int32_t), cudaMemcpyHostToDevice, stream_));
    T2_CUDA_CHECK(cudaMemcpyAsync(d_cap, h_cap_.data(), n * sizeof(int32_t), cudaMemcpyHostToDevice, stream_));
  }
  const KvRows kv{d_base, d_pos, d_cap};
  const std::span<const int32_t> seq_span(h_row_seq_.data(), static_cast<size_t>(n));
  const float eps = static_cast<float>(c.rms_norm_eps);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const model::Weight& embed = m_.weights().embed_tokens();
  embedding(dev_.weight(embed.index), dev_.weight_dtype(embed.index), ids, x, n, d, stream_);
  for (size_t b = 0; b < batch.size(); ++b) {
    const int64_t begin = pos0[b], end = begin + static_cast<int64_t>(batch[b].tokens.size());
    for (const model::EmbeddingRun& e : batch[b].embeds) {
      const int64_t lo = std::max(begin, e.pos), hi = std::min(end, e.pos + e.n);
      if (lo < hi)
        T2_CUDA_CHECK(cudaMemcpyAsync(x + (row0[b] + lo - begin) * d, e.data + (lo - e.pos) * d,
                                      static_cast<size_t>((hi - lo) * d) * sizeof(float),
                                      cudaMemcpyHostToDevice, stream_));
    }
  }
  const bool tp = m_.tp().size > 1;
  auto layer_weight = [&](const model::LayerWeights& L, model::LayerTensor t) -> const model::Weight& {
    return L[t];
  };
  using LT = model::LayerTensor;
  for (int64_t l = 0; n > 0 && l < c.n_layer; ++l) {
    const model::LayerWeights& L = m_.weights().layer(l);
    const auto* attn_norm = static_cast<const float*>(dev_.weight(layer_weight(L, LT::attn_norm).index));
    const auto* ffn_norm = static_cast<const float*>(dev_.weight(layer_weight(L, LT::ffn_norm).index));
    rms_norm(x, attn_norm, h, n, d, eps, stream_);
    project(ctx, L[LT::q_proj], h, q, n, seq_span);
    project(ctx, L[LT::k_proj], h, k, n, seq_span);
    project(ctx, L[LT::v_proj], h, v, n, seq_span);
    rope(q, d_pos, dev_.inv_freq(), n, nh, hd, stream_);
    rope(k, d_pos, dev_.inv_freq(), n, nkv, hd, stream_);
    kv_store(kv, kv_dtype_, l, k, v, n, nkv, hd, stream_);
    attention(kv, kv_dtype_, l, q, attn, n, nh, nkv, hd, scale, stream_);
    project(ctx, L[LT::o_proj], attn, proj, n, seq_span);
    if (tp) {
      T2_CUDA_CHECK(cudaStreamSynchronize(stream_));
      ctx.all_reduce()(proj, static_cast<size_t>(n * d));  // device pointer: an NCCL group's sum
    }
    add(x, proj, x, n * d, stream_);
    rms_norm(x, ffn_norm, h, n, d, eps, stream_);
    project(ctx, L[LT::gate_proj], h, gate, n, seq_span);
    project(ctx, L[LT::up_proj], h, up, n, seq_span);
    silu_mul(gate, up, gate, n * ff, stream_);
    project(ctx, L[LT::down_proj], gate, proj, n, seq_span);
    if (tp) {
      T2_CUDA_CHECK(cudaStreamSynchronize(stream_));
      ctx.all_reduce()(proj, static_cast<size_t>(n * d));
    }
    add(x, proj, x, n * d, stream_);
    if (ctx.layer_observer()) {
      h_x_.resize(static_cast<size_t>(n * d));
      T2_CUDA_CHECK(cudaMemcpyAsync(h_x_.data(), x, h_x_.size() * sizeof(float), cudaMemcpyDeviceToHost, stream_));
      T2_CUDA_CHECK(cudaStreamSynchronize(stream_));
      ctx.layer_observer()(l, h_x_.data(), n, seq_span);
    }
  }
  for (size_t b = 0; b < batch.size(); ++b)
    ctx.cache(batch[b].slot).set_n_tokens(pos0[b] + static_cast<int64_t>(batch[b].tokens.size()));
  // Final norm of the requested rows only, kept on the device.
  float* hidden = grow<float>(hidden_, std::max<int64_t>(n_out, 1) * d, "hidden states");
  std::vector<int32_t>& hidden_seq = ctx.hidden_seq_buffer();
  hidden_seq.clear();
  const auto* fnorm = static_cast<const float*>(dev_.weight(m_.weights().final_norm().index));
  int64_t o = 0;
  for (size_t b = 0; b < batch.size(); ++b) {
    const int64_t len = static_cast<int64_t>(batch[b].tokens.size());
    if (len == 0 || batch[b].output == model::OutputRows::none) continue;
    const int64_t first = batch[b].output == model::OutputRows::all ? 0 : len - 1;
    const int64_t count = len - first;
    rms_norm(x + (row0[b] + first) * d, fnorm, hidden + o * d, count, d, eps, stream_);
    hidden_seq.insert(hidden_seq.end(), static_cast<size_t>(count), batch[b].slot);
    o += count;
  }
  return n_out;
}

void CudaRun::head(model::RunContext& ctx, int64_t row0, int64_t n) {
  const model::LlamaConfig& c = m_.config();
  float* out = grow<float>(logits_, n * c.n_vocab, "logits");
  const std::span<const int32_t> seq(ctx.hidden_seq().data() + row0, static_cast<size_t>(n));
  project(ctx, m_.weights().lm_head(), hidden_.as<float>() + row0 * c.n_embd, out, n, seq);
}

float* CudaRun::logits(model::RunContext& ctx, int64_t row0, int64_t n) {
  const int64_t nv = m_.config().n_vocab;
  h_logits_.resize(static_cast<size_t>(std::max<int64_t>(n, 1) * nv));
  if (n > 0) {
    head(ctx, row0, n);
    T2_CUDA_CHECK(cudaMemcpyAsync(h_logits_.data(), logits_.get(), static_cast<size_t>(n * nv) * sizeof(float),
                                  cudaMemcpyDeviceToHost, stream_));
    T2_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  return h_logits_.data();
}

void CudaRun::select(model::RunContext& ctx, int64_t n, std::span<const model::SamplingParams> params,
                     std::span<const double> u, int32_t* tokens, float* logprobs) {
  T2_CHECK(static_cast<int64_t>(params.size()) == n && static_cast<int64_t>(u.size()) == n,
           "select: %lld rows but %zu sampling parameters and %zu draws", static_cast<long long>(n),
           params.size(), u.size());
  if (n == 0) return;
  const int64_t nv = m_.config().n_vocab;
  head(ctx, 0, n);
  // sel_: u [n] f64, temperature [n] f32, top_p [n] f32, tokens [n] i32, logprobs [n] f32.
  sel_.reserve(static_cast<size_t>(n) * 24, "token selection");
  auto* d_u = sel_.as<double>();
  auto* d_temp = reinterpret_cast<float*>(d_u + n);
  float* d_top_p = d_temp + n;
  auto* d_tok = reinterpret_cast<int32_t*>(d_top_p + n);
  float* d_lp = reinterpret_cast<float*>(d_tok + n);
  std::vector<float> temp(static_cast<size_t>(n)), top_p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    temp[i] = params[i].temperature;
    top_p[i] = params[i].top_p;
  }
  T2_CUDA_CHECK(cudaMemcpyAsync(d_u, u.data(), n * sizeof(double), cudaMemcpyHostToDevice, stream_));
  T2_CUDA_CHECK(cudaMemcpyAsync(d_temp, temp.data(), n * sizeof(float), cudaMemcpyHostToDevice, stream_));
  T2_CUDA_CHECK(cudaMemcpyAsync(d_top_p, top_p.data(), n * sizeof(float), cudaMemcpyHostToDevice, stream_));
  sample_rows(logits_.as<float>(), n, nv, d_temp, d_top_p, d_u, d_tok, stream_);
  if (logprobs) token_logprobs(logits_.as<float>(), n, nv, d_tok, d_lp, stream_);
  T2_CUDA_CHECK(cudaMemcpyAsync(tokens, d_tok, n * sizeof(int32_t), cudaMemcpyDeviceToHost, stream_));
  if (logprobs)
    T2_CUDA_CHECK(cudaMemcpyAsync(logprobs, d_lp, n * sizeof(float), cudaMemcpyDeviceToHost, stream_));
  T2_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void CudaRun::release_sequence(int32_t slot) {
  if (slot < 0 || static_cast<size_t>(slot) >= slots_.size()) return;
  if (slots_[slot].buf.get()) spare_.push_back(std::move(slots_[slot].buf));
  slots_[slot].capacity = 0;
}

void CudaRun::clear_all() {
  for (int32_t s = 0; s < static_cast<int32_t>(slots_.size()); ++s) release_sequence(s);
  slots_.clear();
}

void CudaRun::copy_sequence(int32_t src, int32_t dst) {
  const int32_t n_slots = std::max(src, dst) + 1;
  if (slots_.size() < static_cast<size_t>(n_slots)) slots_.resize(static_cast<size_t>(n_slots));
  // The host caches were copied first, so dst's count is already src's.
  // (called from RunContext::copy_sequence after the host bookkeeping)
  const SlotCache& s = slots_[src];
  if (s.capacity == 0) return;
  reserve_slot(dst, s.capacity, 0);
  const model::LlamaConfig& c = m_.config();
  const size_t es = tensor::dtype_size(kv_dtype_);
  const int64_t blocks = c.n_layer * 2 * m_.n_head_kv_local();
  const SlotCache& t = slots_[dst];
  T2_CUDA_CHECK(cudaMemcpy2DAsync(t.buf.get(), static_cast<size_t>(t.capacity * c.head_dim) * es,
                                  s.buf.get(), static_cast<size_t>(s.capacity * c.head_dim) * es,
                                  static_cast<size_t>(s.capacity * c.head_dim) * es,
                                  static_cast<size_t>(blocks), cudaMemcpyDeviceToDevice, stream_));
  T2_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

size_t CudaRun::kv_bytes() const {
  size_t b = 0;
  for (const SlotCache& s : slots_) b += s.buf.bytes();
  return b;
}

}  // namespace t2::cuda
