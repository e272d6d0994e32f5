// A tiny REINFORCE problem shared by the learning test, the resume tests and the 1-vs-N-rank test:
// the random checkpoint of the gradient fixtures, random prompts, and a reward that favours an even
// first generated token, which the base model emits for only part of the prompts. Rollouts are
// greedy generations through the SVF door (svf/adapter.h) at the level of token ids; the task-level
// source (train/rollouts.h task_rollouts) is exercised by the CLI and demo tests.
#pragma once

#include <memory>
#include <vector>

#include "base/rng.h"
#include "model/generate.h"
#include "model/llama/model.h"
#include "svf/adapter.h"
#include "svf/svd.h"
#include "train/params.h"
#include "train/reinforce.h"

namespace t2::test {

struct RlWorld {
  std::shared_ptr<const model::LlamaModel> model;
  std::shared_ptr<const svf::FactorSet> factors;  // every MLP matrix
  std::vector<std::string> matrices;
  std::vector<std::vector<int32_t>> prompts;
  int64_t max_new_tokens = 2;

  explicit RlWorld(int n_prompts) {
    model = model::LlamaModel::load("tests/reference/train/fixtures/gqa_untied");
    const train::ParamSet ps = train::ParamSet::from_model(*model);
    auto f = std::make_shared<svf::FactorSet>();
    for (int64_t l = 0; l < model->config().n_layer; ++l)
      for (auto t : {model::LayerTensor::gate_proj, model::LayerTensor::up_proj,
                     model::LayerTensor::down_proj}) {
        const train::Param& w = ps.layer(l, t);
        f->add(w.name, std::make_shared<const svf::Svd>(svf::compute_svd(
                           w.w, w.rows, w.cols, svf::SvdPrecision::f64, w.name)));
        matrices.push_back(w.name);
      }
    factors = f;
    for (int i = 0; i < n_prompts; ++i) {
      Rng rng = Rng::stream(5, static_cast<uint64_t>(i), RngPurpose::generic);
      std::vector<int32_t> p;
      const int len = 3 + static_cast<int>(rng.below(4));
      for (int j = 0; j < len; ++j)
        p.push_back(static_cast<int32_t>(rng.below(model->config().n_vocab)));
      prompts.push_back(std::move(p));
    }
  }

  std::vector<int64_t> ids() const {
    std::vector<int64_t> v(prompts.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(i);
    return v;
  }

  // Greedy rollouts of the prompts, rewarded for an even first token.
  train::RolloutFn rollouts() {
    auto adapter = std::make_shared<svf::Adapter>(*model, factors);
    return [this, adapter](std::span<const int64_t> samples, const svf::ScalingSet& scaling,
                           double reuse) {
      model::RunContext ctx(model);
      std::vector<model::GenerationRequest> req;
      svf::Workload w;
      w.reuse = reuse;
      for (int64_t id : samples) {
        model::GenerationRequest r;
        r.id = static_cast<uint64_t>(id);
        r.prompt = prompts[static_cast<size_t>(id)];
        r.max_new_tokens = max_new_tokens;
        w.prompt_tokens.push_back(static_cast<int64_t>(r.prompt.size()));
        w.new_tokens.push_back(max_new_tokens);
        req.push_back(std::move(r));
      }
      adapter->attach(ctx, {}, w, &scaling);
      const auto gen = model::generate(ctx, req);
      std::vector<train::Rollout> out;
      for (size_t i = 0; i < gen.size(); ++i) {
        train::Rollout r;
        r.prompt = req[i].prompt;
        r.completion = gen[i].tokens;
        r.generated_tokens = gen[i].n_generated;
        r.correct = !gen[i].tokens.empty() && gen[i].tokens[0] % 2 == 0;
        out.push_back(std::move(r));
      }
      return out;
    };
  }

  std::unique_ptr<train::ReinforceTrainer> trainer(const train::ReinforceOptions& o,
                                                   dist::Communicator comm = {}) {
    return std::make_unique<train::ReinforceTrainer>(model, factors, matrices, o, rollouts(),
                                                     std::move(comm));
  }
};

inline train::ReinforceOptions rl_options() {
  train::ReinforceOptions o;
  o.batch = 8;
  o.lr = 0.1;
  o.seed = 11;
  return o;
}

}  // namespace t2::test
