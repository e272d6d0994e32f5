// What a llama-architecture GGUF file means to the engine: the LlamaConfig from its metadata
// (`llama.*` keys and the tokenizer's BOS/EOS ids), the mapping from GGUF tensor names
// (`blk.3.ffn_gate.weight`) to the canonical Hugging Face names (model/weight_names.h), and the
// conversion of each tensor to an engine dtype: dequantized (io/gguf_quant.h) and, for the q and k
// projections, with rows put back in Hugging Face order. GGUF writers interleave the two rotary
// halves of every head (row h·hd + 2i + s holds Hugging Face row h·hd + s·hd/2 + i) because
// llama.cpp's rope rotates adjacent pairs, while the engine (like transformers) rotates halves.
// The weight table itself is llama/weights.h; the tokenizer in the metadata is tokenizer/'s.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/gguf.h"
#include "io/safetensors.h"  // io::TensorEntry
#include "model/llama/config.h"
#include "tensor/dtype.h"

namespace t2::model {

// Config from general.architecture = "llama" metadata. Refuses, naming the file and key: other
// architectures, rope scaling types other than none, a rotary dimension count other than
// head_dim, heads not a multiple of KV heads. tie_word_embeddings is true when the file has no
// output.weight; rope_freqs.weight (Llama 3.1-style scaling, as converters write it) becomes
// rope_freq_factors. Throws t2::Error.
LlamaConfig llama_config_from_gguf(const io::GgufFile& file);

// The canonical name of a GGUF tensor name, or nothing for a tensor the decoder does not use.
std::optional<std::string> canonical_name_from_gguf(const std::string& gguf_name);

// A GGUF checkpoint's tensors converted for the weight table: every tensor with a canonical name,
// as an io::TensorEntry in Hugging Face layout ([out, in] row-major, name canonical) whose data is
// owned here. Quantized tensors are dequantized to `dtype` (f32 exact; bf16/f16 rounded to
// nearest even); F32/F16/BF16 tensors are converted to `dtype` as well, except 1-D tensors
// (norms), which stay f32. Cost: one pass over the file, memory = the model in `dtype`.
class GgufTensors {
 public:
  GgufTensors(const io::GgufFile& file, const LlamaConfig& config, tensor::DType dtype);

  const io::TensorEntry* find(const std::string& canonical_name) const;
  const std::vector<io::TensorEntry>& entries() const { return entries_; }

 private:
  std::vector<io::TensorEntry> entries_;
  std::vector<std::vector<unsigned char>> buffers_;  // [entries_.size()] owned data
};

// Rows of a [n_head·head_dim, cols] q or k projection in GGUF's interleaved order → Hugging Face
// rotate-half order (see the file comment). elem_bytes is the size of one element.
void unpermute_rope_rows(const void* src, void* dst, int64_t n_head, int64_t head_dim,
                         int64_t cols, size_t elem_bytes);

}  // namespace t2::model
