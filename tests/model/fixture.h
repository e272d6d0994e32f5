// Test helpers for the Hugging Face reference fixtures in tests/reference/fixtures (made by
// tests/reference/make_model_fixtures.py): expected logits, log-probs and greedy continuations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/file.h"

namespace t2::test {

inline const char* kFixtureRoot = "tests/reference/fixtures";

struct ExpectedSequence {
  std::vector<int32_t> ids;
  std::vector<std::vector<float>> logits;  // [len][n_vocab]
  std::vector<double> logprobs;            // [len - 1]
  std::vector<int32_t> greedy;
};

inline std::string fixture_dir(const std::string& name) {
  return std::string(kFixtureRoot) + "/" + name;
}

inline std::vector<ExpectedSequence> load_expected(const std::string& name) {
  const auto j = nlohmann::json::parse(io::read_file(fixture_dir(name) + "/expected.json"));
  std::vector<ExpectedSequence> out;
  for (const auto& s : j["sequences"]) {
    ExpectedSequence e;
    e.ids = s["ids"].get<std::vector<int32_t>>();
    e.logits = s["logits"].get<std::vector<std::vector<float>>>();
    e.logprobs = s["logprobs"].get<std::vector<double>>();
    e.greedy = s["greedy"].get<std::vector<int32_t>>();
    out.push_back(std::move(e));
  }
  return out;
}

inline const std::vector<std::string>& fixture_cases() {
  static const std::vector<std::string> cases = {
      "llama3_gqa_tied_f32", "llama2_mha_untied_f32_sharded", "llama3_gqa_untied_bf16_sharded",
      "mistral_gqa_headdim_f16"};
  return cases;
}

}  // namespace t2::test
