// The weight table of a Llama-family checkpoint: every tensor the decoder uses, keyed by its
// canonical Hugging Face name (model/weight_names.h), checked for presence and shape against
// the config. From a safetensors directory, projection and embedding weights stay in their file
// dtype and, when unsharded, are views into the memory-mapped files (no copy); from a GGUF file
// they are converted once at load to one engine dtype (model/llama/gguf_checkpoint.h) and owned
// here. Norm weights are converted to f32 (small). With tensor parallelism (tp_size > 1) only this rank's shard is kept: rows of the
// column-parallel q/k/v/gate/up (still views, since rows are contiguous) and columns of the
// row-parallel o/down (copied, since columns are strided). Embeddings, norms and the head are
// replicated. Immutable after load; safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/gguf.h"
#include "io/safetensors.h"
#include "model/fingerprint.h"  // TensorDesc
#include "model/llama/config.h"
#include "model/weight_names.h"
#include "tensor/dtype.h"

namespace t2::model {

using tensor::DType;

// One weight as the forward pass sees it. 2-D weights are [rows, cols] row-major (nn.Linear
// layout [out, in]); 1-D weights have cols == 1. `index` is its position in the table, which the
// RunContext uses for O(1) override lookup.
struct Weight {
  std::string name;
  DType dtype = DType::f32;
  int64_t rows = 0;
  int64_t cols = 1;
  const void* data = nullptr;
  int32_t index = -1;
  size_t n_bytes() const { return static_cast<size_t>(rows * cols) * tensor::dtype_size(dtype); }
};

class GgufTensors;  // model/llama/gguf_checkpoint.h

struct TpShard {
  int rank = 0;
  int size = 1;
};

// Maps a canonical tensor name to the name it is stored under in the files (e.g.
// "model.layers.0.mlp.up_proj.weight" → "language_model.model.layers.0.mlp.up_proj.weight" in a
// LLaVA checkpoint). Empty: stored under the canonical name.
using StoredNameFn = std::function<std::string(const std::string& canonical)>;

struct LayerWeights {
  std::array<const Weight*, kLayerTensorCount> t{};  // indexed by LayerTensor
  const Weight& operator[](LayerTensor x) const { return *t[static_cast<int>(x)]; }
};

class LlamaWeights {
 public:
  // Opens the safetensors in dir and builds the table for `config`, keeping shard `tp` only.
  // Throws t2::Error naming the tensor (expected vs found shape, file) on any mismatch, and when
  // the head counts or n_ff are not divisible by tp.size. The table is keyed by canonical names
  // whatever `stored_name` maps them to in the files.
  LlamaWeights(const std::string& dir, const LlamaConfig& config, TpShard tp = {},
               const StoredNameFn& stored_name = {});
  // From an opened GGUF file: every used tensor converted to `dtype` (norms to f32), q/k rows in
  // Hugging Face order. Same checks and sharding as above.
  LlamaWeights(std::shared_ptr<const io::GgufFile> file, const LlamaConfig& config, TpShard tp,
               DType dtype);

  const Weight* find(const std::string& name) const;
  const Weight& get(const std::string& name) const;  // throws when absent
  const std::vector<Weight>& all() const { return weights_; }
  const LayerWeights& layer(int64_t i) const { return layers_[i]; }
  const Weight& embed_tokens() const { return *embed_; }
  const Weight& final_norm() const { return *final_norm_; }
  // lm_head.weight, or the embedding table when tie_word_embeddings.
  const Weight& lm_head() const { return *lm_head_; }
  // Bytes of weight data this rank uses (mapped or owned).
  size_t weight_bytes() const;
  // The safetensors files; throws t2::Error for a GGUF checkpoint (see stored_tensors()).
  const io::SafetensorsDir& files() const;
  // The GGUF file, or nullptr for a safetensors checkpoint.
  const io::GgufFile* gguf() const { return gguf_.get(); }
  // Every tensor of the checkpoint files exactly as stored (file names, file types such as "BF16"
  // or "Q4_1", file shapes, raw bytes), sorted by name, for both formats: what a checkpoint
  // fingerprint covers (model/fingerprint.h).
  std::vector<TensorDesc> stored_tensors() const;

 private:
  using Lookup = std::function<const io::TensorEntry*(const std::string&)>;
  // stored: the name a tensor has in the files, for messages (empty: the canonical name).
  void build(const Lookup& find, const std::vector<std::string>& file_names,
             const std::string& source, const LlamaConfig& config, TpShard tp,
             const StoredNameFn& stored = {});
  const Weight& add(Weight w);

  std::unique_ptr<io::SafetensorsDir> files_;
  std::shared_ptr<const io::GgufFile> gguf_;
  std::shared_ptr<const GgufTensors> gguf_tensors_;  // converted GGUF tensors (owned)
  std::vector<Weight> weights_;  // reserved up front: pointers into it stay valid
  std::map<std::string, int32_t> by_name_;
  std::vector<std::vector<unsigned char>> owned_;  // f32 norms, row-parallel shards
  std::vector<LayerWeights> layers_;
  const Weight* embed_ = nullptr;
  const Weight* final_norm_ = nullptr;
  const Weight* lm_head_ = nullptr;
};

}  // namespace t2::model
