// Named tensors of a LLaVA checkpoint's vision side, read with their shapes checked against the
// config: matrices stay views into the memory-mapped files in their own dtype (as the language
// model's weights do); vectors (biases, norms, embeddings) are converted to f32 copies. Every
// error names the tensor, the file and what config.json implies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "model/llama/weights.h"  // Weight

namespace t2::model::llava {

class TensorReader {
 public:
  // prefix is prepended to every name (e.g. "vision_tower.vision_model.").
  TensorReader(const io::SafetensorsDir& files, std::string prefix)
      : files_(files), prefix_(std::move(prefix)) {}

  // A [rows, cols] matrix (a tensor whose shape is `shape`, whose product of trailing dimensions
  // is cols: conv weights [out, c, kh, kw] read as [out, c·kh·kw]). `what` explains the shape.
  Weight matrix(const std::string& name, const std::vector<int64_t>& shape, const char* what) const;
  // A tensor of `shape` converted to f32 (row-major).
  std::vector<float> floats(const std::string& name, const std::vector<int64_t>& shape,
                            const char* what) const;
  bool has(const std::string& name) const { return files_.find(prefix_ + name) != nullptr; }
  const std::string& prefix() const { return prefix_; }

 private:
  const io::TensorEntry& entry(const std::string& name, const std::vector<int64_t>& shape,
                               const char* what) const;
  const io::SafetensorsDir& files_;
  std::string prefix_;
};

}  // namespace t2::model::llava
