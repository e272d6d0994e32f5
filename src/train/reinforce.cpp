// REINFORCE iterations, batch draws, accuracy and the rank-count-independent gradient exchange.
#include "train/reinforce.h"

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

ReinforceTrainer::ReinforceTrainer(std::shared_ptr<const model::LlamaModel> model,
                                   std::vector<SvfMatrix> svd, ReinforceOptions opt,
                                   dist::Communicator comm)
    : model_(std::move(model)), svd_(std::move(svd)), opt_(std::move(opt)), comm_(std::move(comm)) {
  T2_CHECK(opt_.batch > 0 && opt_.max_new_tokens > 0, "REINFORCE needs batch > 0 and "
           "max_new_tokens > 0");
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
    overrides_.push_back({svd_[i].name, std::make_shared<DenseOverride>(
                                            adapters_[i].dense, svd_[i].n_out, svd_[i].n_in)});
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

  std::string mine;  // records of this rank's samples
  for (int64_t k = comm_.rank(); k < B; k += comm_.size()) {
    const RlSample& s = train[static_cast<size_t>(idx[k])];
    Timer t;
    const std::vector<int32_t> completion = generate(s.prompt);
    st.t_rollout += t.seconds();
    const double reward = score(s, completion) ? 1.0 : -1.0;
    SeqExample ex;
    ex.tokens = s.prompt;
    ex.tokens.insert(ex.tokens.end(), completion.begin(), completion.end());
    ex.weight.assign(ex.tokens.size(), 0.0f);
    for (size_t i = s.prompt.size(); i < ex.tokens.size(); ++i)
      ex.weight[i] = static_cast<float>(reward / static_cast<double>(B));
    for (SvfAdapter& a : adapters_) a.zero_grad();
    const ForwardResult r = decoder_->run(std::span<const SeqExample>(&ex, 1), true, dopt);
    st.t_forward += r.seconds_forward;
    st.t_backward += r.seconds_backward;
    put(mine, k);
    put(mine, reward);
    put(mine, r.loss);
    put(mine, r.kl);
    put(mine, static_cast<int64_t>(completion.size()));
    for (const SvfAdapter& a : adapters_) mine.append(reinterpret_cast<const char*>(a.grad_s.data()),
                                                      a.grad_s.size() * sizeof(double));
  }
  // Exchange and sum in sample order: identical on every rank for any rank count.
  Timer t_ex;
  const std::vector<std::string> all = comm_.size() > 1 ? comm_.all_gather(mine)
                                                        : std::vector<std::string>{mine};
  std::vector<std::vector<double>> ds_of(static_cast<size_t>(B));
  std::vector<double> reward_of(B), loss_of(B), kl_of(B);
  for (const std::string& rec : all) {
    size_t off = 0;
    while (off < rec.size()) {
      const int64_t k = get<int64_t>(rec, off);
      T2_CHECK(k >= 0 && k < B && ds_of[k].empty(), "bad sample index %lld in gradient exchange",
               static_cast<long long>(k));
      reward_of[k] = get<double>(rec, off);
      loss_of[k] = get<double>(rec, off);
      kl_of[k] = get<double>(rec, off);
      st.generated_tokens += get<int64_t>(rec, off);
      ds_of[k].resize(n_params);
      T2_CHECK(off + n_params * sizeof(double) <= rec.size(), "truncated gradient record");
      std::memcpy(ds_of[k].data(), rec.data() + off, n_params * sizeof(double));
      off += n_params * sizeof(double);
    }
  }
  std::vector<double> ds(n_params, 0.0);
  for (int64_t k = 0; k < B; ++k) {
    T2_CHECK(!ds_of[k].empty(), "sample %lld of the batch was not processed by any rank",
             static_cast<long long>(k));
    for (size_t i = 0; i < n_params; ++i) ds[i] += ds_of[k][i];
    st.mean_reward += reward_of[k] / static_cast<double>(B);
    st.loss += loss_of[k];
    st.kl += kl_of[k];
  }
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
  std::string mine;
  for (size_t k = static_cast<size_t>(comm_.rank()); k < samples.size();
       k += static_cast<size_t>(comm_.size()))
    mine.push_back(score(samples[k], generate(samples[k].prompt)) ? '1' : '0');
  const std::vector<std::string> all = comm_.size() > 1 ? comm_.all_gather(mine)
                                                        : std::vector<std::string>{mine};
  int64_t correct = 0, n = 0;
  for (const std::string& s : all)
    for (char c : s) correct += c == '1', ++n;
  T2_CHECK(n == static_cast<int64_t>(samples.size()), "accuracy: %lld results for %zu samples",
           static_cast<long long>(n), samples.size());
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace t2::train
