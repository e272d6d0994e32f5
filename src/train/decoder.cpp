// Training forward and backward of the Llama decoder (see decoder.h for the objective and letters).
#include "train/decoder.h"

#include <cmath>
#include <cstring>

#include "base/error.h"
#include "base/timer.h"
#include "model/llama/config.h"  // rope_inv_freq
#include "tensor/ops.h"          // rope (forward, and with negated positions its inverse)
#include "tensor/grad.h"          // the training ops and their backward

namespace t2::train {

namespace ops = tensor::grad;

using model::LayerTensor;

struct Decoder::Acts {
  struct Layer {
    std::vector<float> x_in, h1, r1;      // [n, d], [n, d], [n]
    std::vector<float> q, k, v;           // [n, qd], [n, kvd], [n, kvd]  (q, k after RoPE)
    std::vector<float> attn, probs;       // [n, qd], Σ_b nh·L_b²
    std::vector<float> x_mid, h2, r2;     // [n, d], [n, d], [n]
    std::vector<float> gate, up, act;     // [n, ff]
  };
  int64_t n = 0;
  std::vector<int64_t> row0, len, poff;   // per sequence: first row, length, offset into probs
  std::vector<int32_t> tokens, pos;       // [n]
  std::vector<char> spliced;              // [n]: 1 where an input vector replaced the embedding
  std::vector<Layer> layers;
  std::vector<float> x_final, hf, rf;     // [n, d], [n, d], [n]
};

Decoder::Decoder(ParamSet& params) : params_(params) {
  adapters_.resize(static_cast<size_t>(params.config().n_layer));
  clear_adapters();
  inv_freq_ = model::rope_inv_freq(params.config());
}

void Decoder::set_adapter(int64_t layer, LayerTensor t, SvfAdapter* a) {
  const auto& c = params_.config();
  T2_CHECK(layer >= 0 && layer < c.n_layer, "adapter layer %lld out of range [0, %lld)",
           static_cast<long long>(layer), static_cast<long long>(c.n_layer));
  T2_CHECK(model::is_projection(t), "only projection matrices can be adapted");
  if (a != nullptr) {
    const Param& p = params_.layer(layer, t);
    T2_CHECK(a->svd != nullptr && a->svd->n_out == p.rows && a->svd->n_in == p.cols &&
                 static_cast<int64_t>(a->e.size()) == a->svd->r,
             "SVF adapter for %s does not match the weight [%lld, %lld] (or has no scaling set)",
             p.name.c_str(), static_cast<long long>(p.rows), static_cast<long long>(p.cols));
  }
  adapters_[layer][static_cast<int>(t)] = a;
}

void Decoder::clear_adapters() {
  for (auto& row : adapters_) row.fill(nullptr);
}

void Decoder::project(int64_t l, LayerTensor t, const float* x, float* y, int64_t n,
                      bool use_adapters) const {
  const Param& p = params_.layer(l, t);
  const SvfAdapter* a = use_adapters ? adapters_[l][static_cast<int>(t)] : nullptr;
  if (a == nullptr) {
    ops::linear(x, p.w.data(), y, n, p.rows, p.cols);
    return;
  }
  const int64_t r = a->svd->r;
  std::vector<float> xv(static_cast<size_t>(n * r));  // [n, r] = x · V, then ⊙ e
  ops::linear_dx(x, a->svd->v.data(), xv.data(), n, p.cols, r, false);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < r; ++k) xv[i * r + k] *= a->e[k];
  ops::linear(xv.data(), a->svd->u.data(), y, n, p.rows, r);  // [n, out] = xv · Uᵀ
}

void Decoder::forward(std::span<const SeqExample> batch, Acts& a, bool use_adapters) {
  const auto& c = params_.config();
  const int64_t d = c.n_embd, nh = c.n_head, nkv = c.n_head_kv, hd = c.head_dim;
  const int64_t qd = c.q_dim(), kvd = c.kv_dim(), ff = c.n_ff;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int64_t n = a.n;
  const size_t nb = batch.size();
  std::vector<float> x(static_cast<size_t>(n * d));  // [n, d] residual stream
  tensor::embedding(params_.embed().w.data(), tensor::DType::f32, c.n_vocab, a.tokens.data(),
                    x.data(), n, d);
  a.spliced.assign(static_cast<size_t>(n), 0);
  for (size_t b = 0; b < nb; ++b)
    for (const model::EmbeddingRun& r : batch[b].embeds) {
      std::memcpy(&x[(a.row0[b] + r.pos) * d], r.data, sizeof(float) * r.n * d);
      std::fill_n(a.spliced.begin() + a.row0[b] + r.pos, r.n, 1);
    }
  a.layers.resize(static_cast<size_t>(c.n_layer));
  for (int64_t l = 0; l < c.n_layer; ++l) {
    Acts::Layer& L = a.layers[l];
    L.x_in = x;
    L.h1.resize(n * d), L.r1.resize(n);
    ops::rms_norm(x.data(), params_.layer(l, LayerTensor::attn_norm).w.data(), L.h1.data(),
                  L.r1.data(), n, d, eps);
    L.q.resize(n * qd), L.k.resize(n * kvd), L.v.resize(n * kvd);
    project(l, LayerTensor::q_proj, L.h1.data(), L.q.data(), n, use_adapters);
    project(l, LayerTensor::k_proj, L.h1.data(), L.k.data(), n, use_adapters);
    project(l, LayerTensor::v_proj, L.h1.data(), L.v.data(), n, use_adapters);
    tensor::rope(L.q.data(), a.pos.data(), inv_freq_.data(), n, nh, hd);
    tensor::rope(L.k.data(), a.pos.data(), inv_freq_.data(), n, nkv, hd);
    L.attn.resize(n * qd);
    L.probs.resize(static_cast<size_t>(a.poff[nb]));
    for (size_t b = 0; b < nb; ++b)
      ops::attention(L.q.data() + a.row0[b] * qd, L.k.data() + a.row0[b] * kvd,
                     L.v.data() + a.row0[b] * kvd, L.attn.data() + a.row0[b] * qd,
                     L.probs.data() + a.poff[b], a.len[b], nh, nkv, hd, scale);
    std::vector<float> proj(static_cast<size_t>(n * d));
    project(l, LayerTensor::o_proj, L.attn.data(), proj.data(), n, use_adapters);
    for (int64_t i = 0; i < n * d; ++i) x[i] += proj[i];
    L.x_mid = x;
    L.h2.resize(n * d), L.r2.resize(n);
    ops::rms_norm(x.data(), params_.layer(l, LayerTensor::ffn_norm).w.data(), L.h2.data(),
                  L.r2.data(), n, d, eps);
    L.gate.resize(n * ff), L.up.resize(n * ff), L.act.resize(n * ff);
    project(l, LayerTensor::gate_proj, L.h2.data(), L.gate.data(), n, use_adapters);
    project(l, LayerTensor::up_proj, L.h2.data(), L.up.data(), n, use_adapters);
    ops::swiglu(L.gate.data(), L.up.data(), L.act.data(), n * ff);
    project(l, LayerTensor::down_proj, L.act.data(), proj.data(), n, use_adapters);
    for (int64_t i = 0; i < n * d; ++i) x[i] += proj[i];
  }
  a.x_final = std::move(x);
  a.hf.resize(n * d), a.rf.resize(n);
  ops::rms_norm(a.x_final.data(), params_.final_norm().w.data(), a.hf.data(), a.rf.data(), n, d,
                eps);
}

ForwardResult Decoder::run(std::span<const SeqExample> batch, bool backward,
                           const DecoderOptions& opt) {
  const auto& c = params_.config();
  const int64_t d = c.n_embd, nh = c.n_head, nkv = c.n_head_kv, hd = c.head_dim;
  const int64_t qd = c.q_dim(), kvd = c.kv_dim(), ff = c.n_ff, nv = c.n_vocab;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const size_t nb = batch.size();
  Timer timer;
  ForwardResult res;

  // Layout rows and validate.
  Acts a;
  a.row0.resize(nb), a.len.resize(nb), a.poff.resize(nb + 1, 0);
  std::vector<int64_t> sel;       // rows whose next-token log-prob is weighted
  std::vector<int32_t> sel_tok;   // the token they predict
  std::vector<float> sel_w;
  std::vector<std::pair<size_t, size_t>> sel_at;  // (b, i)
  for (size_t b = 0; b < nb; ++b) {
    const SeqExample& e = batch[b];
    T2_CHECK(!e.tokens.empty() && e.weight.size() == e.tokens.size(),
             "training sequence %zu: %zu tokens but %zu weights (need equal, non-empty)", b,
             e.tokens.size(), e.weight.size());
    T2_CHECK(e.weight[0] == 0.0f, "training sequence %zu: weight[0] must be 0 (no prediction "
             "of the first token)", b);
    T2_CHECK(static_cast<int64_t>(e.tokens.size()) <= c.n_ctx_max,
             "training sequence %zu has %zu tokens, beyond max_position_embeddings %lld", b,
             e.tokens.size(), static_cast<long long>(c.n_ctx_max));
    for (const model::EmbeddingRun& r : e.embeds)
      T2_CHECK(r.data != nullptr && r.pos >= 0 && r.n >= 1 &&
                   r.pos + r.n <= static_cast<int64_t>(e.tokens.size()),
               "training sequence %zu: input vectors for positions [%lld, %lld) do not lie inside "
               "its %zu tokens", b, static_cast<long long>(r.pos), static_cast<long long>(r.pos + r.n),
               e.tokens.size());
    a.row0[b] = a.n;
    a.len[b] = static_cast<int64_t>(e.tokens.size());
    a.poff[b + 1] = a.poff[b] + nh * a.len[b] * a.len[b];
    for (size_t i = 0; i < e.tokens.size(); ++i) {
      T2_CHECK(e.tokens[i] >= 0 && e.tokens[i] < nv, "training sequence %zu: token %d at "
               "position %zu outside the vocabulary [0, %lld)", b, e.tokens[i], i,
               static_cast<long long>(nv));
      a.tokens.push_back(e.tokens[i]);
      a.pos.push_back(static_cast<int32_t>(i));
      if (i > 0 && e.weight[i] != 0.0f) {
        sel.push_back(a.n + static_cast<int64_t>(i) - 1);
        sel_tok.push_back(e.tokens[i]);
        sel_w.push_back(e.weight[i]);
        sel_at.emplace_back(b, i);
      }
    }
    a.n += a.len[b];
  }
  const int64_t n = a.n, m = static_cast<int64_t>(sel.size());
  res.logp.resize(nb);
  for (size_t b = 0; b < nb; ++b) res.logp[b].assign(batch[b].tokens.size(), 0.0f);

  auto head_logsoftmax = [&](std::vector<float>& lp) {  // lp [m, V] from a.hf
    std::vector<float> hs(static_cast<size_t>(m * d));
    for (int64_t r = 0; r < m; ++r) std::memcpy(&hs[r * d], &a.hf[sel[r] * d], sizeof(float) * d);
    lp.resize(static_cast<size_t>(m * nv));
    ops::linear(hs.data(), params_.head().w.data(), lp.data(), m, nv, d);
    tensor::log_softmax(lp.data(), lp.data(), m, nv);
    return hs;
  };
  std::vector<float> base_lp;  // [m, V] log p_base, only with KL
  if (opt.kl_coef > 0.0f && m > 0) {
    forward(batch, a, /*use_adapters=*/false);
    head_logsoftmax(base_lp);
  }
  forward(batch, a, /*use_adapters=*/true);
  std::vector<float> lp;
  std::vector<float> hs = head_logsoftmax(lp);
  std::vector<float> dlogits(backward ? static_cast<size_t>(m * nv) : 0);  // [m, V]
  double loss = 0, kl_sum = 0;
  for (int64_t r = 0; r < m; ++r) {
    const float* l = &lp[r * nv];
    const double w = sel_w[r];
    loss -= w * l[sel_tok[r]];
    res.logp[sel_at[r].first][sel_at[r].second] = l[sel_tok[r]];
    double kl = 0;
    if (!base_lp.empty()) {
      const float* bl = &base_lp[r * nv];
      for (int64_t j = 0; j < nv; ++j) kl += std::exp(double(bl[j])) * (double(bl[j]) - l[j]);
      kl_sum += kl;
    }
    if (!backward) continue;
    float* g = &dlogits[r * nv];
    for (int64_t j = 0; j < nv; ++j) {
      const double p = std::exp(double(l[j]));
      double gj = w * p;  // ∂(−w log p_tok)/∂logit_j = w (p_j − [j = tok])
      if (!base_lp.empty()) gj += opt.kl_coef * (p - std::exp(double(base_lp[r * nv + j])));
      g[j] = static_cast<float>(gj);
    }
    g[sel_tok[r]] -= static_cast<float>(w);
  }
  res.kl = kl_sum;
  res.loss = loss + opt.kl_coef * kl_sum;
  res.seconds_forward = timer.seconds();
  if (!backward) return res;
  timer.reset();

  // ---- backward ----
  const bool wg = opt.weight_grads;
  if (wg)
    T2_CHECK(params_.embed().g.size() == params_.embed().w.size(),
             "weight gradients requested but ParamSet::allocate_grads() was not called");
  std::vector<float> dhs(static_cast<size_t>(m * d));  // [m, d]
  ops::linear_dx(dlogits.data(), params_.head().w.data(), dhs.data(), m, nv, d, false);
  if (wg) ops::linear_dw(dlogits.data(), hs.data(), params_.head().g.data(), m, nv, d);
  std::vector<float> dhf(static_cast<size_t>(n * d), 0.0f);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t j = 0; j < d; ++j) dhf[sel[r] * d + j] += dhs[r * d + j];
  std::vector<float> dx(static_cast<size_t>(n * d), 0.0f);  // [n, d] ∂L/∂residual
  ops::rms_norm_backward(a.x_final.data(), params_.final_norm().w.data(), a.rf.data(), dhf.data(),
                         dx.data(), wg ? params_.final_norm().g.data() : nullptr, n, d);

  // dy → dx of one projection, plus its ∂L/∂W or the adapter's ∂L/∂s.
  auto proj_back = [&](int64_t l, LayerTensor t, const float* dy, const float* x, float* dxo,
                       bool accumulate) {
    Param& p = params_.layer(l, t);
    SvfAdapter* ad = adapters_[l][static_cast<int>(t)];
    if (ad == nullptr) {
      ops::linear_dx(dy, p.w.data(), dxo, n, p.rows, p.cols, accumulate);
      if (wg) ops::linear_dw(dy, x, p.g.data(), n, p.rows, p.cols);
      return;
    }
    // y = ((x · V) ⊙ e) · Uᵀ:  ∂L/∂e_k = Σ_rows (dy · U)_k (x · V)_k,  dx = ((dy · U) ⊙ e) · Vᵀ.
    const int64_t r = ad->svd->r;
    std::vector<float> du(static_cast<size_t>(n * r)), xv(static_cast<size_t>(n * r));
    ops::linear_dx(dy, ad->svd->u.data(), du.data(), n, p.rows, r, false);  // dY · U  [n, r]
    ops::linear_dx(x, ad->svd->v.data(), xv.data(), n, p.cols, r, false);   // X · V   [n, r]
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < r; ++k) {
        ad->grad_e[k] += double(du[i * r + k]) * xv[i * r + k];
        du[i * r + k] *= ad->e[k];
      }
    ops::linear(du.data(), ad->svd->v.data(), dxo, n, p.cols, r, accumulate);  // [n, in]
  };

  std::vector<float> dact(n * ff), dgate(n * ff), dup(n * ff), dh(n * d);
  std::vector<float> dattn(n * qd), dq(n * qd), dk(n * kvd), dv(n * kvd);
  std::vector<int32_t> neg_pos(a.pos.size());
  for (size_t i = 0; i < a.pos.size(); ++i) neg_pos[i] = -a.pos[i];
  for (int64_t l = c.n_layer - 1; l >= 0; --l) {
    const Acts::Layer& L = a.layers[l];
    // MLP block: x_out = x_mid + down(silu(gate(h2)) ⊙ up(h2)), h2 = norm(x_mid).
    proj_back(l, LayerTensor::down_proj, dx.data(), L.act.data(), dact.data(), false);
    ops::swiglu_backward(L.gate.data(), L.up.data(), dact.data(), dgate.data(), dup.data(), n * ff);
    proj_back(l, LayerTensor::gate_proj, dgate.data(), L.h2.data(), dh.data(), false);
    proj_back(l, LayerTensor::up_proj, dup.data(), L.h2.data(), dh.data(), true);
    ops::rms_norm_backward(L.x_mid.data(), params_.layer(l, LayerTensor::ffn_norm).w.data(),
                           L.r2.data(), dh.data(), dx.data(),
                           wg ? params_.layer(l, LayerTensor::ffn_norm).g.data() : nullptr, n, d);
    // Attention block: x_mid = x_in + o(attention(rope(q(h1)), rope(k(h1)), v(h1))).
    proj_back(l, LayerTensor::o_proj, dx.data(), L.attn.data(), dattn.data(), false);
    for (size_t b = 0; b < nb; ++b)
      ops::attention_backward(L.q.data() + a.row0[b] * qd, L.k.data() + a.row0[b] * kvd,
                              L.v.data() + a.row0[b] * kvd, L.probs.data() + a.poff[b],
                              dattn.data() + a.row0[b] * qd, dq.data() + a.row0[b] * qd,
                              dk.data() + a.row0[b] * kvd, dv.data() + a.row0[b] * kvd, a.len[b],
                              nh, nkv, hd, scale);
    tensor::rope(dq.data(), neg_pos.data(), inv_freq_.data(), n, nh, hd);  // inverse rotation
    tensor::rope(dk.data(), neg_pos.data(), inv_freq_.data(), n, nkv, hd);
    proj_back(l, LayerTensor::q_proj, dq.data(), L.h1.data(), dh.data(), false);
    proj_back(l, LayerTensor::k_proj, dk.data(), L.h1.data(), dh.data(), true);
    proj_back(l, LayerTensor::v_proj, dv.data(), L.h1.data(), dh.data(), true);
    ops::rms_norm_backward(L.x_in.data(), params_.layer(l, LayerTensor::attn_norm).w.data(),
                           L.r1.data(), dh.data(), dx.data(),
                           wg ? params_.layer(l, LayerTensor::attn_norm).g.data() : nullptr, n, d);
  }
  if (wg) {
    float* ge = params_.embed().g.data();
    for (int64_t r = 0; r < n; ++r)
      if (!a.spliced[r])
        for (int64_t j = 0; j < d; ++j) ge[a.tokens[r] * d + j] += dx[r * d + j];
  }
  res.seconds_backward = timer.seconds();
  return res;
}

}  // namespace t2::train
