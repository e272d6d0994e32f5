// The fingerprint of a checkpoint: the one identity that ties SVD stores, experts, mixtures and
// evaluation reports to the base weights they were made from ("t2fp1-" + 16 hex digits). It hashes
// every tensor's name, dtype and shape (in name order) plus up to 16 evenly spaced 4 KiB blocks of
// its bytes, so it is cheap (never the whole checkpoint) and tells checkpoints apart (any fine-tune
// changes the sampled values); it is not a cryptographic checksum of every byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace t2::model {

// One tensor of a checkpoint as the fingerprint sees it.
struct TensorDesc {
  std::string name;
  std::string dtype;  // "BF16", "F16", "F32", ...
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t n_bytes = 0;
};

// Fingerprint of a list of tensors (any order).
std::string fingerprint_tensors(std::vector<TensorDesc> tensors);

// Fingerprint of every tensor of a checkpoint's files as stored (already mapped) / of the
// checkpoint at `path`, a Hugging Face directory or a GGUF file (maps its files; throws t2::Error
// naming the path when it is not a checkpoint). A loaded model's is
// fingerprint_tensors(weights.stored_tensors()) (checkpoint_fingerprint(LlamaWeights)).
std::string checkpoint_fingerprint(const io::SafetensorsDir& files);
std::string checkpoint_fingerprint(const std::string& path);
class LlamaWeights;
std::string checkpoint_fingerprint(const LlamaWeights& weights);

}  // namespace t2::model
