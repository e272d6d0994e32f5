// Checkpoint fingerprints; see fingerprint.h.
#include "model/fingerprint.h"

#include <algorithm>
#include <filesystem>
#include <string_view>

#include "base/hash.h"
#include "io/gguf.h"
#include "model/llama/weights.h"

namespace t2::model {

std::string fingerprint_tensors(std::vector<TensorDesc> tensors) {
  std::sort(tensors.begin(), tensors.end(),
            [](const TensorDesc& a, const TensorDesc& b) { return a.name < b.name; });
  constexpr size_t kBlock = 4096, kBlocks = 16;
  Hasher h;
  h.update(std::string_view("t2 checkpoint fingerprint v1"));
  for (const auto& t : tensors) {
    h.update(t.name);
    h.update(t.dtype);
    h.update_i64(static_cast<int64_t>(t.shape.size()));
    for (auto d : t.shape) h.update_i64(d);
    h.update_i64(static_cast<int64_t>(t.n_bytes));
    const auto* p = static_cast<const unsigned char*>(t.data);
    if (!p) continue;
    if (t.n_bytes <= kBlock * kBlocks) {
      h.update(p, t.n_bytes);
      continue;
    }
    const size_t stride = (t.n_bytes - kBlock) / (kBlocks - 1);
    for (size_t b = 0; b < kBlocks; ++b) h.update(p + b * stride, kBlock);
  }
  return "t2fp1-" + h.hex();
}

std::string checkpoint_fingerprint(const io::SafetensorsDir& files) {
  std::vector<TensorDesc> t;
  for (const auto& name : files.names()) {
    const io::TensorEntry& e = files.get(name);
    t.push_back({e.name, io::safetensors_dtype_name(e.dtype), e.shape, e.data, e.n_bytes});
  }
  return fingerprint_tensors(std::move(t));
}

std::string checkpoint_fingerprint(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) return checkpoint_fingerprint(io::SafetensorsDir(path));
  const io::GgufFile file(path);  // throws, naming the path, when it is not GGUF
  std::vector<TensorDesc> t;
  for (const auto& g : file.tensors()) t.push_back({g.name, g.type_name(), g.shape, g.data, g.n_bytes});
  return fingerprint_tensors(std::move(t));
}

std::string checkpoint_fingerprint(const LlamaWeights& weights) {
  return fingerprint_tensors(weights.stored_tensors());
}

}  // namespace t2::model
