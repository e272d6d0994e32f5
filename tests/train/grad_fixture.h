// Loads the gradient fixtures made by tests/reference/train/make_grad_fixtures.py: the checkpoint
// (as a ParamSet), the batch with its weights, and the reference tensors of grads.safetensors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/file.h"
#include "io/safetensors.h"
#include "model/llama/model.h"
#include "train/decoder.h"
#include "train/params.h"

namespace t2::test {

inline std::string grad_fixture_dir(const std::string& name) {
  return "tests/reference/train/fixtures/" + name;
}

struct GradFixture {
  std::shared_ptr<const model::LlamaModel> model;
  std::unique_ptr<train::ParamSet> params;
  std::vector<train::SeqExample> batch;
  double loss = 0, svf_loss = 0;
  float max_mult = 1;
  std::unique_ptr<io::SafetensorsFile> ref;

  std::vector<float> tensor(const std::string& name) const {
    const io::TensorEntry* e = ref->find(name);
    if (e == nullptr) throw std::runtime_error("fixture lacks " + name);
    const float* p = static_cast<const float*>(e->data);
    return std::vector<float>(p, p + e->n_elements());
  }
};

inline GradFixture load_grad_fixture(const std::string& name) {
  GradFixture f;
  const std::string dir = grad_fixture_dir(name);
  f.model = model::LlamaModel::load(dir);
  f.params = std::make_unique<train::ParamSet>(train::ParamSet::from_model(*f.model));
  const auto j = nlohmann::json::parse(io::read_file(dir + "/expected.json"));
  const auto ids = j["ids"].get<std::vector<std::vector<int32_t>>>();
  const auto w = j["weights"].get<std::vector<std::vector<float>>>();
  for (size_t b = 0; b < ids.size(); ++b) f.batch.push_back({ids[b], w[b]});
  f.loss = j["loss"].get<double>();
  f.svf_loss = j["svf_loss"].get<double>();
  f.max_mult = j["max_mult"].get<float>();
  f.ref = std::make_unique<io::SafetensorsFile>(dir + "/grads.safetensors");
  return f;
}

}  // namespace t2::test
