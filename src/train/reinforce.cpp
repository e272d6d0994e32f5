// REINFORCE iterations, batch draws, accuracy and the rank-count-independent gradient exchange;
// see reinforce.h.
#include "train/reinforce.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "base/bytes.h"
#include "base/error.h"
#include "base/rng.h"
#include "base/timer.h"

namespace t2::train {

std::vector<double> gradient_sum(std::span<const std::vector<double>> local, size_t n,
                                 double max_abs, int64_t n_total, const dist::Communicator& comm) {
  T2_CHECK(n_total > 0 && std::isfinite(max_abs) && max_abs >= 0,
           "gradient sum: bad bound %g over %lld samples", max_abs, static_cast<long long>(n_total));
  std::vector<int64_t> acc(n, 0);
  // |q| <= max_abs · 2^S + 1/2 < 2^(62 - bits) + 1/2 for every term, so n_total terms (and every
  // partial sum, in any order) stay below 2^62 + n_total < 2^63.
  int e = 0, bits = 0;
  if (max_abs > 0) std::frexp(max_abs, &e);  // max_abs < 2^e
  while ((int64_t{1} << bits) < n_total) ++bits;
  const int S = 62 - e - bits;
  if (max_abs > 0) {
    for (const std::vector<double>& g : local) {
      T2_CHECK(g.size() == n, "gradient sum: a sample has %zu values, expected %zu", g.size(), n);
      for (size_t i = 0; i < n; ++i) acc[i] += std::llround(std::ldexp(g[i], S));
    }
  }
  if (comm.size() > 1) comm.all_reduce_sum(std::span<int64_t>(acc));
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = std::ldexp(static_cast<double>(acc[i]), -S);
  return out;
}

ReinforceTrainer::ReinforceTrainer(std::shared_ptr<const model::LlamaModel> model,
                                   std::shared_ptr<const svf::FactorSet> factors,
                                   std::vector<std::string> matrices, ReinforceOptions opt,
                                   RolloutFn rollouts, dist::Communicator comm)
    : model_(std::move(model)),
      factors_(std::move(factors)),
      opt_(opt),
      rollouts_(std::move(rollouts)),
      comm_(std::move(comm)) {
  T2_CHECK(opt_.batch > 0 && opt_.micro_batch > 0, "REINFORCE needs batch > 0 and micro_batch > 0");
  T2_CHECK(!matrices.empty() && factors_ != nullptr, "REINFORCE needs at least one adapted matrix");
  T2_CHECK(rollouts_ != nullptr, "REINFORCE needs a rollout source");
  params_ = std::make_unique<ParamSet>(ParamSet::from_model(*model_));
  decoder_ = std::make_unique<Decoder>(*params_);
  adapters_.resize(matrices.size());
  std::vector<size_t> sizes;
  for (size_t i = 0; i < matrices.size(); ++i) {
    const std::string& name = matrices[i];
    const svf::Svd& svd = factors_->get(name);
    const auto ref = model::parse_layer_tensor_name(name);
    T2_CHECK(ref.has_value() && model::is_projection(ref->tensor),
             "adapted matrix '%s' is not a decoder projection of this model", name.c_str());
    expert_.names.push_back(name);
    Rng rng = Rng::stream(opt_.seed, i, RngPurpose::init);
    std::vector<float> p(static_cast<size_t>(svd.r));
    for (float& v : p) v = static_cast<float>(0.1 + 0.01 * rng.normal());
    expert_.p.push_back(std::move(p));
    adapters_[i].svd = &svd;
    adapters_[i].grad_e.assign(static_cast<size_t>(svd.r), 0.0);
    sizes.push_back(static_cast<size_t>(svd.r));
  }
  adam_ = Adam(AdamOptions{}, sizes, std::vector<bool>(sizes.size(), false));
  refresh();
  for (size_t i = 0; i < matrices.size(); ++i) {
    const auto ref = model::parse_layer_tensor_name(matrices[i]);
    decoder_->set_adapter(ref->layer, ref->tensor, &adapters_[i]);
  }
}

void ReinforceTrainer::refresh() {
  scaling_ = svf::ScalingSet{};
  scaling_.label = "training";
  for (size_t i = 0; i < expert_.names.size(); ++i) {
    const std::string& name = expert_.names[i];
    std::vector<float> z = svf::scaling_from_params(expert_.p[i], opt_.max_mult);
    adapters_[i].e = svf::effective_singular_values(adapters_[i].svd->s, z, name);
    scaling_.z[name] = std::move(z);
  }
}

void ReinforceTrainer::restore(const Expert& e, int64_t iteration) {
  T2_CHECK(e.names == expert_.names, "checkpoint expert adapts other matrices than this run");
  for (size_t i = 0; i < e.p.size(); ++i)
    T2_CHECK(e.p[i].size() == expert_.p[i].size(), "checkpoint vector %s has %zu values, "
             "expected %zu", e.names[i].c_str(), e.p[i].size(), expert_.p[i].size());
  expert_ = e;
  iteration_ = iteration;
  refresh();
}

std::vector<int64_t> ReinforceTrainer::draw_batch(uint64_t seed, int64_t it, int64_t batch,
                                                  int64_t n) {
  T2_CHECK(n > 0, "no training samples to draw a batch from");
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  Rng rng = Rng::stream(seed, static_cast<uint64_t>(it), RngPurpose::batch);
  const int64_t b = std::min(batch, n);
  for (int64_t i = 0; i < b; ++i)  // the first b steps of a Fisher-Yates shuffle
    std::swap(perm[i], perm[i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - i)))]);
  perm.resize(static_cast<size_t>(b));
  return perm;
}

IterationStats ReinforceTrainer::step(std::span<const int64_t> train) {
  Timer total;
  IterationStats st;
  const std::vector<int64_t> idx = draw_batch(opt_.seed, iteration_, opt_.batch,
                                              static_cast<int64_t>(train.size()));
  const int64_t B = static_cast<int64_t>(idx.size());
  size_t n_params = 0;
  for (const SvfAdapter& a : adapters_) n_params += a.e.size();
  DecoderOptions dopt;
  dopt.weight_grads = false;
  dopt.kl_coef = static_cast<float>(opt_.kl_coef / static_cast<double>(B));

  // Units of micro_batch consecutive batch positions; unit u runs on rank u mod size, so what
  // is computed together (rollouts, forward, backward) does not depend on the rank count.
  const int64_t mb = opt_.micro_batch, n_units = (B + mb - 1) / mb;
  std::string mine;  // small per-sample records of this rank's samples (statistics)
  std::vector<std::vector<double>> local_de;  // ∂L/∂e of this rank's units, in order
  double local_max = 0;  // max |∂L/∂e| over this rank's units
  for (int64_t u = comm_.rank(); u < n_units; u += comm_.size()) {
    const int64_t k0 = u * mb, k1 = std::min(B, k0 + mb);
    std::vector<int64_t> ids;
    for (int64_t k = k0; k < k1; ++k) ids.push_back(train[static_cast<size_t>(idx[k])]);
    Timer t_roll;
    const std::vector<Rollout> ro = rollouts_(ids, scaling_, static_cast<double>(n_units));
    st.t_rollout += t_roll.seconds();
    T2_CHECK(ro.size() == ids.size(), "rollouts: %zu results for %zu samples", ro.size(),
             ids.size());
    std::vector<SeqExample> ex;
    for (int64_t k = k0; k < k1; ++k) {
      const Rollout& r = ro[static_cast<size_t>(k - k0)];
      const double reward = r.correct ? 1.0 : -1.0;
      // A rollout that failed, or left no answer tokens, adds nothing to the gradient.
      if (!r.error && !r.completion.empty() && !r.prompt.empty()) {
        SeqExample e;
        e.tokens = r.prompt;
        e.tokens.insert(e.tokens.end(), r.completion.begin(), r.completion.end());
        e.embeds = r.embeds;  // image features (ro keeps them alive through the backward)
        e.weight.assign(e.tokens.size(), 0.0f);
        for (size_t i = r.prompt.size(); i < e.tokens.size(); ++i)
          e.weight[i] = static_cast<float>(reward / static_cast<double>(B));
        ex.push_back(std::move(e));
      }
      put_bytes(mine, k);
      put_bytes(mine, reward);
      put_bytes(mine, r.generated_tokens);
      put_bytes(mine, static_cast<int64_t>(r.error ? 1 : 0));
    }
    for (SvfAdapter& a : adapters_) a.zero_grad();
    ForwardResult fr;
    if (!ex.empty()) fr = decoder_->run(ex, true, dopt);
    st.t_forward += fr.seconds_forward;
    st.t_backward += fr.seconds_backward;
    put_bytes(mine, -2 - u);  // unit record: loss and KL of the unit
    put_bytes(mine, fr.loss);
    put_bytes(mine, fr.kl);
    std::vector<double> g;
    g.reserve(n_params);
    for (const SvfAdapter& a : adapters_) g.insert(g.end(), a.grad_e.begin(), a.grad_e.end());
    for (double v : g) local_max = std::max(local_max, std::isnan(v) ? INFINITY : std::fabs(v));
    local_de.push_back(std::move(g));
  }
  // Exchange: the small records (and each rank's max |∂L/∂e|) are all-gathered and summed in
  // sample / unit order; the gradient is summed exactly in fixed point (gradient_sum),
  // O(parameters) per rank.
  Timer t_ex;
  put_bytes(mine, int64_t{-1});
  put_bytes(mine, local_max);
  const std::vector<std::string> all = comm_.size() > 1 ? comm_.all_gather(mine)
                                                        : std::vector<std::string>{mine};
  std::vector<double> reward_of(B), loss_of(n_units), kl_of(n_units);
  std::vector<char> seen(static_cast<size_t>(B), 0), unit_seen(static_cast<size_t>(n_units), 0);
  double global_max = 0;
  for (const std::string& rec : all) {
    ByteReader in(rec, "train: gradient record from another rank");
    while (!in.done()) {
      const int64_t k = in.get<int64_t>();
      if (k == -1) {
        global_max = std::max(global_max, in.get<double>());
      } else if (k <= -2) {
        const int64_t u = -2 - k;
        T2_CHECK(u < n_units && !unit_seen[u], "bad unit index %lld in gradient exchange",
                 static_cast<long long>(u));
        unit_seen[u] = 1;
        loss_of[u] = in.get<double>();
        kl_of[u] = in.get<double>();
      } else {
        T2_CHECK(k < B && !seen[k], "bad sample index %lld in gradient exchange",
                 static_cast<long long>(k));
        seen[k] = 1;
        reward_of[k] = in.get<double>();
        st.generated_tokens += in.get<int64_t>();
        st.n_errors += in.get<int64_t>();
      }
    }
  }
  for (int64_t k = 0; k < B; ++k) {
    T2_CHECK(seen[k], "sample %lld of the batch was not processed by any rank",
             static_cast<long long>(k));
    st.mean_reward += reward_of[k] / static_cast<double>(B);
  }
  for (int64_t u = 0; u < n_units; ++u) {
    T2_CHECK(unit_seen[u], "unit %lld of the batch was not processed by any rank",
             static_cast<long long>(u));
    st.loss += loss_of[u];
    st.kl += kl_of[u];
  }
  T2_CHECK(std::isfinite(global_max), "iteration %lld: the gradient is not finite (NaN or "
           "infinity in dL/de); lower --lr or check the model", static_cast<long long>(iteration_ + 1));
  const std::vector<double> de = gradient_sum(local_de, n_params, global_max, n_units, comm_);
  st.t_allreduce = t_ex.seconds();

  // Chain to p, clip, Adam.
  std::vector<std::vector<float>> grads(adapters_.size());
  std::vector<float*> gp, wp;
  std::vector<const float*> gcp;
  std::vector<size_t> sizes;
  size_t off = 0;
  for (size_t i = 0; i < adapters_.size(); ++i) {
    const size_t r = adapters_[i].e.size();
    std::vector<double> dp(r);
    svf::effective_singular_values_backward(adapters_[i].svd->s, expert_.p[i], opt_.max_mult,
                                            std::span<const double>(de).subspan(off, r), dp,
                                            expert_.names[i]);
    off += r;
    grads[i].assign(dp.begin(), dp.end());
    gp.push_back(grads[i].data());
    gcp.push_back(grads[i].data());
    wp.push_back(expert_.p[i].data());
    sizes.push_back(r);
  }
  st.grad_norm = clip_global_norm(gp, sizes, opt_.max_grad_norm);
  adam_.step(wp, gcp, opt_.lr);
  ++iteration_;
  refresh();
  double pn = 0;
  for (const auto& p : expert_.p)
    for (float v : p) pn += double(v) * v;
  st.param_norm = std::sqrt(pn);
  st.iteration = iteration_;
  st.t_total = total.seconds();
  return st;
}

Accuracy ReinforceTrainer::accuracy(std::span<const int64_t> samples) {
  Accuracy acc;
  if (samples.empty()) return acc;
  // The step's units (micro_batch consecutive samples, unit u on rank u mod size).
  const size_t mb = static_cast<size_t>(opt_.micro_batch), n = samples.size();
  const double n_units = std::ceil(static_cast<double>(n) / static_cast<double>(mb));
  std::string mine;
  for (size_t k0 = static_cast<size_t>(comm_.rank()) * mb; k0 < n;
       k0 += static_cast<size_t>(comm_.size()) * mb) {
    const auto ids = samples.subspan(k0, std::min(mb, n - k0));
    for (const Rollout& r : rollouts_(ids, scaling_, n_units))
      mine.push_back(r.error ? 'e' : r.correct ? '1' : '0');
  }
  const std::vector<std::string> all = comm_.size() > 1 ? comm_.all_gather(mine)
                                                        : std::vector<std::string>{mine};
  int64_t correct = 0;
  for (const std::string& s : all)
    for (char c : s) correct += c == '1', acc.n_errors += c == 'e', ++acc.n;
  T2_CHECK(acc.n == static_cast<int64_t>(n), "accuracy: %lld results for %zu samples",
           static_cast<long long>(acc.n), n);
  acc.accuracy = static_cast<double>(correct) / static_cast<double>(acc.n);
  return acc;
}

}  // namespace t2::train
