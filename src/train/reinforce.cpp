// REINFORCE iterations, batch draws, accuracy and the rank-count-independent gradient exchange.
#include "train/reinforce.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "base/error.h"
#include "base/rng.h"
#include "base/timer.h"

namespace t2::train {

namespace {

// Little byte writer/reader for the per-sample records exchanged between ranks.
template <typename T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
T get(const std::string& in, size_t& off) {
  T v;
  T2_CHECK(off + sizeof(T) <= in.size(), "truncated gradient record from another rank");
  std::memcpy(&v, in.data() + off, sizeof(T));
  off += sizeof(T);
  return v;
}

}  // namespace

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
                                   std::vector<SvfMatrix> svd, ReinforceOptions opt,
                                   dist::Communicator comm)
    : model_(std::move(model)), svd_(std::move(svd)), opt_(std::move(opt)), comm_(std::move(comm)) {
  T2_CHECK(opt_.batch > 0 && opt_.max_new_tokens > 0 && opt_.micro_batch > 0,
           "REINFORCE needs batch > 0, micro_batch > 0 and max_new_tokens > 0");
  T2_CHECK(!svd_.empty(), "REINFORCE needs at least one adapted matrix");
  params_ = std::make_unique<ParamSet>(ParamSet::from_model(*model_));
  decoder_ = std::make_unique<Decoder>(*params_);
  adapters_.resize(svd_.size());
  std::vector<size_t> sizes;
  for (size_t i = 0; i < svd_.size(); ++i) {
    const SvfMatrix& m = svd_[i];
    const auto ref = model::parse_layer_tensor_name(m.name);
    T2_CHECK(ref.has_value() && model::is_projection(ref->tensor),
             "adapted matrix '%s' is not a decoder projection of this model", m.name.c_str());
    const Param& w = params_->layer(ref->layer, ref->tensor);
    T2_CHECK(w.rows == m.n_out && w.cols == m.n_in, "SVD of %s is [%lld, %lld] but the model's "
             "weight is [%lld, %lld]; the SVD store belongs to another checkpoint", m.name.c_str(),
             static_cast<long long>(m.n_out), static_cast<long long>(m.n_in),
             static_cast<long long>(w.rows), static_cast<long long>(w.cols));
    expert_.names.push_back(m.name);
    Rng rng = Rng::stream(opt_.seed, i, RngPurpose::init);
    std::vector<float> p(static_cast<size_t>(m.rank));
    for (float& v : p) v = static_cast<float>(0.1 + 0.01 * rng.normal());
    expert_.p.push_back(std::move(p));
    adapters_[i].m = &svd_[i];
    sizes.push_back(static_cast<size_t>(m.rank));
  }
  adam_ = Adam(AdamOptions{}, sizes, std::vector<bool>(sizes.size(), false));
  refresh_adapters();
  for (size_t i = 0; i < svd_.size(); ++i) {
    const auto ref = model::parse_layer_tensor_name(svd_[i].name);
    decoder_->set_adapter(ref->layer, ref->tensor, &adapters_[i]);
  }
}

void ReinforceTrainer::refresh_adapters() {
  overrides_.clear();
  for (size_t i = 0; i < svd_.size(); ++i) {
    adapters_[i].set_scale(svf_scale(svd_[i], expert_.p[i].data(), opt_.max_mult));
    // Rollouts apply the expert in the checkpoint's dtype, as `t2 eval` does.
    overrides_.push_back({svd_[i].name, std::make_shared<DenseOverride>(
                                            adapters_[i].dense.data(), svd_[i].n_out, svd_[i].n_in,
                                            model_->weights().get(svd_[i].name).dtype)});
  }
}

void ReinforceTrainer::restore(const Expert& e, int64_t iteration) {
  T2_CHECK(e.names == expert_.names, "checkpoint expert adapts other matrices than this run");
  for (size_t i = 0; i < e.p.size(); ++i)
    T2_CHECK(e.p[i].size() == expert_.p[i].size(), "checkpoint vector %s has %zu values, "
             "expected %zu", e.names[i].c_str(), e.p[i].size(), expert_.p[i].size());
  expert_ = e;
  iteration_ = iteration;
  refresh_adapters();
}

std::vector<int64_t> ReinforceTrainer::draw_batch(uint64_t seed, int64_t it, int64_t batch,
                                                  int64_t n) {
  T2_CHECK(n > 0, "no training samples to draw a batch from");
  std::vector<int64_t> out;
  int64_t cached_epoch = -1;
  std::vector<int64_t> perm;
  for (int64_t k = 0; k < batch; ++k) {
    const int64_t g = it * batch + k, epoch = g / n;
    if (epoch != cached_epoch) {
      perm.resize(static_cast<size_t>(n));
      std::iota(perm.begin(), perm.end(), 0);
      Rng rng = Rng::stream(seed, static_cast<uint64_t>(epoch), RngPurpose::batch);
      for (int64_t i = n - 1; i > 0; --i)
        std::swap(perm[i], perm[static_cast<int64_t>(rng.below(static_cast<uint64_t>(i + 1)))]);
      cached_epoch = epoch;
    }
    out.push_back(perm[g % n]);
  }
  return out;
}

std::vector<int32_t> ReinforceTrainer::generate(const std::vector<int32_t>& prompt) const {
  return greedy_rollout(model_, overrides_, prompt, opt_.max_new_tokens, opt_.eos_ids, opt_.stop);
}

std::vector<std::vector<int32_t>> ReinforceTrainer::generate(
    std::span<const std::vector<int32_t>> prompts) const {
  if (opt_.batched_rollouts)
    return greedy_rollouts(model_, overrides_, prompts, opt_.max_new_tokens, opt_.eos_ids, opt_.stop);
  std::vector<std::vector<int32_t>> out;
  for (const auto& p : prompts) out.push_back(generate(p));
  return out;
}

IterationStats ReinforceTrainer::step(std::span<const RlSample> train, const ScoreFn& score) {
  Timer total;
  IterationStats st;
  const int64_t B = opt_.batch;
  const std::vector<int64_t> idx = draw_batch(opt_.seed, iteration_, B, static_cast<int64_t>(train.size()));
  size_t n_params = 0;
  for (const SvfMatrix& m : svd_) n_params += static_cast<size_t>(m.rank);
  DecoderOptions dopt;
  dopt.weight_grads = false;
  dopt.kl_coef = static_cast<float>(opt_.kl_coef / static_cast<double>(B));

  // Units of micro_batch consecutive batch positions; unit u runs on rank u mod size, so what
  // is computed together (rollouts, forward, backward) does not depend on the rank count.
  const int64_t mb = opt_.micro_batch, n_units = (B + mb - 1) / mb;
  std::string mine;  // small per-sample records of this rank's samples (statistics)
  std::vector<std::vector<double>> local_ds;  // ∂L/∂s of this rank's units, in order
  double local_max = 0;  // max |∂L/∂s| over this rank's units
  for (int64_t u = comm_.rank(); u < n_units; u += comm_.size()) {
    const int64_t k0 = u * mb, k1 = std::min(B, k0 + mb);
    std::vector<std::vector<int32_t>> prompts;
    for (int64_t k = k0; k < k1; ++k) prompts.push_back(train[static_cast<size_t>(idx[k])].prompt);
    Timer t_roll;
    const std::vector<std::vector<int32_t>> completions = generate(prompts);
    st.t_rollout += t_roll.seconds();
    std::vector<SeqExample> ex(static_cast<size_t>(k1 - k0));
    for (int64_t k = k0; k < k1; ++k) {
      const RlSample& s = train[static_cast<size_t>(idx[k])];
      const std::vector<int32_t>& completion = completions[static_cast<size_t>(k - k0)];
      const double reward = score(s, completion) ? 1.0 : -1.0;
      SeqExample& e = ex[static_cast<size_t>(k - k0)];
      e.tokens = s.prompt;
      e.tokens.insert(e.tokens.end(), completion.begin(), completion.end());
      e.weight.assign(e.tokens.size(), 0.0f);
      for (size_t i = s.prompt.size(); i < e.tokens.size(); ++i)
        e.weight[i] = static_cast<float>(reward / static_cast<double>(B));
      put(mine, k);
      put(mine, reward);
      put(mine, static_cast<int64_t>(completion.size()));
    }
    for (SvfAdapter& a : adapters_) a.zero_grad();
    const ForwardResult r = decoder_->run(ex, true, dopt);
    st.t_forward += r.seconds_forward;
    st.t_backward += r.seconds_backward;
    put(mine, -2 - u);  // unit record: loss and KL of the unit
    put(mine, r.loss);
    put(mine, r.kl);
    std::vector<double> g;
    g.reserve(n_params);
    for (const SvfAdapter& a : adapters_) g.insert(g.end(), a.grad_s.begin(), a.grad_s.end());
    for (double v : g) local_max = std::max(local_max, std::isnan(v) ? INFINITY : std::fabs(v));
    local_ds.push_back(std::move(g));
  }
  // Exchange: the small records (and each rank's max |∂L/∂s|) are all-gathered and summed in
  // sample / unit order; the gradient is summed exactly in fixed point (gradient_sum),
  // O(parameters) per rank.
  Timer t_ex;
  put(mine, int64_t{-1});
  put(mine, local_max);
  const std::vector<std::string> all = comm_.size() > 1 ? comm_.all_gather(mine)
                                                        : std::vector<std::string>{mine};
  std::vector<double> reward_of(B), loss_of(n_units), kl_of(n_units);
  std::vector<char> seen(static_cast<size_t>(B), 0), unit_seen(static_cast<size_t>(n_units), 0);
  double global_max = 0;
  for (const std::string& rec : all) {
    size_t off = 0;
    while (off < rec.size()) {
      const int64_t k = get<int64_t>(rec, off);
      if (k == -1) {
        global_max = std::max(global_max, get<double>(rec, off));
      } else if (k <= -2) {
        const int64_t u = -2 - k;
        T2_CHECK(u < n_units && !unit_seen[u], "bad unit index %lld in gradient exchange",
                 static_cast<long long>(u));
        unit_seen[u] = 1;
        loss_of[u] = get<double>(rec, off);
        kl_of[u] = get<double>(rec, off);
      } else {
        T2_CHECK(k < B && !seen[k], "bad sample index %lld in gradient exchange",
                 static_cast<long long>(k));
        seen[k] = 1;
        reward_of[k] = get<double>(rec, off);
        st.generated_tokens += get<int64_t>(rec, off);
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
           "infinity in dL/ds); lower --lr or check the model", static_cast<long long>(iteration_ + 1));
  const std::vector<double> ds = gradient_sum(local_ds, n_params, global_max, n_units, comm_);
  st.t_allreduce = t_ex.seconds();

  // Chain to p, clip, Adam.
  std::vector<std::vector<float>> grads(svd_.size());
  std::vector<float*> gp, wp;
  std::vector<const float*> gcp;
  std::vector<size_t> sizes;
  size_t off = 0;
  for (size_t i = 0; i < svd_.size(); ++i) {
    const int64_t r = svd_[i].rank;
    std::vector<double> dp(static_cast<size_t>(r));
    svf_scale_backward(svd_[i], expert_.p[i].data(), opt_.max_mult, ds.data() + off, dp.data());
    off += static_cast<size_t>(r);
    grads[i].assign(dp.begin(), dp.end());
    gp.push_back(grads[i].data());
    gcp.push_back(grads[i].data());
    wp.push_back(expert_.p[i].data());
    sizes.push_back(static_cast<size_t>(r));
  }
  st.grad_norm = clip_global_norm(gp, sizes, opt_.max_grad_norm);
  adam_.step(wp, gcp, opt_.lr);
  ++iteration_;
  refresh_adapters();
  double pn = 0;
  for (const auto& p : expert_.p)
    for (float v : p) pn += double(v) * v;
  st.param_norm = std::sqrt(pn);
  st.iteration = iteration_;
  st.t_total = total.seconds();
  return st;
}

double ReinforceTrainer::accuracy(std::span<const RlSample> samples, const ScoreFn& score) {
  if (samples.empty()) return -1.0;
  // The step's units (micro_batch consecutive samples, unit u on rank u mod size).
  const size_t mb = static_cast<size_t>(opt_.micro_batch), n = samples.size();
  std::string mine;
  for (size_t k0 = static_cast<size_t>(comm_.rank()) * mb; k0 < n;
       k0 += static_cast<size_t>(comm_.size()) * mb) {
    std::vector<std::vector<int32_t>> prompts;
    for (size_t k = k0; k < std::min(n, k0 + mb); ++k) prompts.push_back(samples[k].prompt);
    const std::vector<std::vector<int32_t>> completions = generate(prompts);
    for (size_t j = 0; j < completions.size(); ++j)
      mine.push_back(score(samples[k0 + j], completions[j]) ? '1' : '0');
  }
  const std::vector<std::string> all = comm_.size() > 1 ? comm_.all_gather(mine)
                                                        : std::vector<std::string>{mine};
  int64_t correct = 0, got = 0;
  for (const std::string& s : all)
    for (char c : s) correct += c == '1', ++got;
  T2_CHECK(got == static_cast<int64_t>(n), "accuracy: %lld results for %zu samples",
           static_cast<long long>(got), n);
  return static_cast<double>(correct) / static_cast<double>(got);
}

}  // namespace t2::train
