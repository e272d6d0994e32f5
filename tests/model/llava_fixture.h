// Test helpers for the LLaVA-NeXT reference fixtures in tests/reference/llava/fixtures (made by
// tests/reference/llava/make_llava_fixtures.py): per case an expected.json (images, prompts,
// greedy continuations) and an expected.safetensors (pixel values, features, logits).
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/file.h"
#include "io/safetensors.h"

namespace t2::test {

inline const char* kLlavaFixtureRoot = "tests/reference/llava/fixtures";

inline std::string llava_dir(const std::string& name) {
  return std::string(kLlavaFixtureRoot) + "/" + name;
}
inline std::string llava_image(const std::string& file) {
  return std::string(kLlavaFixtureRoot) + "/images/" + file;
}

// Named f32 arrays of an expected.safetensors / images.safetensors.
class ExpectedTensors {
 public:
  explicit ExpectedTensors(const std::string& path) : file_(std::make_unique<io::SafetensorsFile>(path)) {}
  std::vector<float> get(const std::string& name) const {
    const io::TensorEntry* e = file_->find(name);
    if (e == nullptr) throw std::runtime_error("fixture has no tensor " + name);
    const auto* p = static_cast<const float*>(e->data);
    return std::vector<float>(p, p + e->n_elements());
  }
  std::vector<int64_t> shape(const std::string& name) const { return file_->find(name)->shape; }
  bool has(const std::string& name) const { return file_->find(name) != nullptr; }

 private:
  std::unique_ptr<io::SafetensorsFile> file_;
};

struct LlavaCase {
  std::string name;
  nlohmann::json meta;  // expected.json
  ExpectedTensors tensors;
  explicit LlavaCase(const std::string& n)
      : name(n),
        meta(nlohmann::json::parse(io::read_file(llava_dir(n) + "/expected.json"))),
        tensors(llava_dir(n) + "/expected.safetensors") {}
};

// The cases whose strategy is "default" (packing, prompts and logits recorded).
inline const std::vector<std::string>& llava_cases() {
  static const std::vector<std::string> cases = {
      "llava_next_llama_f32", "llava_next_layers_tied_f32_sharded", "llava_next_mistral_bf16_sharded"};
  return cases;
}

// The stated pixel tolerance (docs/llava.md): PNG bit-identical to transformers' pixel values;
// JPEG within one 8-bit level after normalisation (another libjpeg-turbo build may round an IDCT
// output differently), 1 / (255 · the smallest CLIP std).
inline double pixel_tolerance(const std::string& file) {
  const bool jpeg = file.size() > 4 && file.substr(file.size() - 4) == ".jpg";
  return jpeg ? 1.0 / (255.0 * 0.26130258) : 0.0;
}

inline double max_abs_diff(const float* a, const float* b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}

inline double max_abs(const std::vector<float>& a) {
  double m = 0;
  for (float v : a) m = std::max(m, std::fabs(double(v)));
  return m;
}

}  // namespace t2::test
