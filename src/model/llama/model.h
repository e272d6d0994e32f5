// LlamaModel: the immutable part of a Llama-family decoder (config, weight table, RoPE table),
// loaded once per rank, plus its batched forward pass. Per-run state (KV caches, scratch, weight
// overrides, the tensor-parallel all-reduce) lives in a RunContext (model/run_context.h), so one
// model can serve several runs at once from different threads, each with its own RunContext.
//
// Forward: token embeddings (or the input vectors a chunk gives for some positions) → n_layer × [RMSNorm → q/k/v → RoPE → GQA attention over the sequence's own
// KV cache → o_proj → all-reduce → residual → RMSNorm → gate/up → SiLU·up → down_proj →
// all-reduce → residual] → final RMSNorm → head. All rows of all sequences of a batch go through
// one linear call per projection; attention runs per sequence.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/device_forward.h"  // DeviceModel: the forward pass on an accelerator
#include "model/llama/config.h"
#include "model/llama/weights.h"

namespace t2::model {

class RunContext;

struct LoadOptions {
  TpShard tp;  // keep only this rank's shard (column-parallel q/k/v/gate/up, row-parallel o/down)
  // For a decoder inside a larger checkpoint (model/llava): the config to use instead of
  // DIR/config.json, and where each canonical tensor name is stored in the files. Unset: the
  // directory is a plain Llama-family checkpoint.
  std::optional<LlamaConfig> config{};
  StoredNameFn stored_name{};
  // GGUF checkpoints: the dtype their matrices are converted to at load. bf16 halves the bytes a
  // decode step reads (and takes the fast kernels' bf16 path); f32 keeps the dequantized values
  // exactly. Safetensors checkpoints keep their file dtype regardless.
  DType gguf_dtype = DType::bf16;
};

// Which rows of a chunk produce a final hidden state (and so logits).
enum class OutputRows : uint8_t { none, last, all };

// Input vectors given for positions [pos, pos + n) of a sequence in place of the embeddings of the
// tokens there (the tokens are placeholders; e.g. image features spliced in by model/llava). The
// decoder does not know where they come from. data: [n, n_embd], owned by the caller.
struct EmbeddingRun {
  int64_t pos = 0;
  int64_t n = 0;
  const float* data = nullptr;
};

// One sequence's share of a forward call: `tokens` are appended to the sequence in `slot` at its
// current length (prefill = many tokens, decode = one; both may be mixed in one batch). `embeds`
// (absolute positions of the sequence, in any order, not overlapping) replace the token
// embeddings at the positions of this chunk they cover; runs outside the chunk are ignored, so a
// request may hand the same list to every chunk.
struct SeqChunk {
  int32_t slot = 0;
  std::span<const int32_t> tokens;
  OutputRows output = OutputRows::last;
  std::span<const EmbeddingRun> embeds{};
};

class LlamaModel {
 public:
  // path: a Hugging Face model directory (config.json + generation_config.json + safetensors) or
  // a GGUF file (config from its metadata, see llama/gguf_checkpoint.h). Throws t2::Error.
  static std::shared_ptr<const LlamaModel> load(const std::string& path, const LoadOptions& opt = {});

  const LlamaConfig& config() const { return config_; }
  const LlamaWeights& weights() const { return *weights_; }
  const std::vector<float>& inv_freq() const { return inv_freq_; }
  // The path the model was loaded from (a directory or a .gguf file).
  const std::string& dir() const { return dir_; }
  TpShard tp() const { return tp_; }
  // This rank's share of heads and FFN columns.
  int64_t n_head_local() const { return config_.n_head / tp_.size; }
  int64_t n_head_kv_local() const { return config_.n_head_kv / tp_.size; }
  int64_t n_ff_local() const { return config_.n_ff / tp_.size; }
  // The device side attached at load (model/device_forward.h), or nullptr: the CPU runs it.
  const DeviceModel* device() const { return device_.get(); }

  // Runs the chunks, appends their keys/values to the sequences' caches and writes the final
  // normed hidden states of the requested rows to ctx.hidden() [n_out, n_embd] in chunk order
  // (none: 0 rows, last: 1, all: tokens.size()). Returns n_out. A chunk whose sequence would exceed
  // the context limit (config max_position_embeddings, or Mistral's sliding window) throws
  // t2::Error before anything is computed. Cost: one linear call per projection for all rows.
  // A RunContext with a DeviceRun gets the same validation, then runs on the device (the hidden
  // states then stay there; logits() brings rows back).
  int64_t forward(RunContext& ctx, std::span<const SeqChunk> batch) const;

  // logits[n, n_vocab] = head(ctx.hidden() rows [row0, row0 + n)) into ctx.logits(). The head
  // goes through the override seam under its canonical name (lm_head.weight, or
  // model.embed_tokens.weight when tied). row_seq gives each row's sequence slot.
  float* logits(RunContext& ctx, int64_t row0, int64_t n) const;

 private:
  LlamaModel() = default;

  std::string dir_;
  LlamaConfig config_;
  std::unique_ptr<LlamaWeights> weights_;
  std::vector<float> inv_freq_;
  TpShard tp_;
  std::shared_ptr<const DeviceModel> device_;
};

}  // namespace t2::model
