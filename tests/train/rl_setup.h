// A tiny REINFORCE problem shared by the learning test and the 1-vs-N-rank test: the random
// checkpoint of the gradient fixtures, random prompts, and a reward that favours an even first
// generated token, which the base model emits for only part of the prompts.
#pragma once

#include <memory>
#include <vector>

#include "base/rng.h"
#include "model/llama/model.h"
#include "train/params.h"
#include "train/reinforce.h"

namespace t2::test {

inline std::shared_ptr<const model::LlamaModel> rl_model() {
  return model::LlamaModel::load("tests/reference/train/fixtures/gqa_untied");
}

// SVD of every MLP matrix of m.
inline std::vector<train::SvfMatrix> rl_svd(const model::LlamaModel& m) {
  const train::ParamSet ps = train::ParamSet::from_model(m);
  std::vector<train::SvfMatrix> out;
  for (int64_t l = 0; l < m.config().n_layer; ++l)
    for (auto t : {model::LayerTensor::gate_proj, model::LayerTensor::up_proj,
                   model::LayerTensor::down_proj}) {
      const train::Param& w = ps.layer(l, t);
      out.push_back(train::svd_matrix(w.name, w.w.data(), w.rows, w.cols));
    }
  return out;
}

inline std::vector<train::RlSample> rl_prompts(int n, int64_t n_vocab) {
  std::vector<train::RlSample> out;
  for (int i = 0; i < n; ++i) {
    Rng rng = Rng::stream(5, static_cast<uint64_t>(i), RngPurpose::generic);
    train::RlSample s;
    s.id = i;
    const int len = 3 + static_cast<int>(rng.below(4));
    for (int j = 0; j < len; ++j) s.prompt.push_back(static_cast<int32_t>(rng.below(n_vocab)));
    out.push_back(std::move(s));
  }
  return out;
}

inline bool even_first_token(const train::RlSample&, const std::vector<int32_t>& completion) {
  return !completion.empty() && completion[0] % 2 == 0;
}

inline train::ReinforceOptions rl_options() {
  train::ReinforceOptions o;
  o.batch = 8;
  o.lr = 0.1;
  o.max_new_tokens = 2;
  o.seed = 11;
  return o;
}

}  // namespace t2::test
