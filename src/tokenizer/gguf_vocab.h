// The tokenizer stored in a GGUF file's metadata (tokenizer.ggml.*), restated in the shape of a
// Hugging Face tokenizer.json + tokenizer_config.json so that one loader (tokenizer.cpp) builds
// both. Supported: tokenizer.ggml.model "gpt2" (byte-level BPE) with the pre-tokenizers
// "llama-bpe" / "llama3" / "llama-v3" (Llama 3 split, merges ignored for whole-vocab words, as
// llama.cpp and tokenizers do), "smollm" (each digit alone, then the GPT-2 split) and "gpt-2".
// Control tokens become special added tokens, user-defined tokens non-special added tokens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/gguf.h"
#include "tokenizer/bpe.h"

namespace t2::tokenizer {

struct GgufTokenizerSpec {
  nlohmann::json root;    // tokenizer.json without model.vocab / model.merges (those are tables)
  BpeTables tables;
  nlohmann::json config;  // tokenizer_config.json: bos_token (only when BOS is added), eos_token,
                          // chat_template (when the file has one)
  std::vector<int32_t> extra_eos_ids;  // tokenizer.ggml.eot_token_id / eom_token_id
};

// Reads the metadata; throws t2::Error naming the file and key for unsupported tokenizer models
// or pre-tokenizers, missing or mismatched arrays and out-of-range special ids.
GgufTokenizerSpec gguf_tokenizer_spec(const io::GgufFile& file);

}  // namespace t2::tokenizer
