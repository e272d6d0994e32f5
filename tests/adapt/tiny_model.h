// Test helper: writes a tiny random Llama checkpoint (config.json, generation_config.json,
// model.safetensors) whose vocabulary is Llama 3's, next to a copy of the Llama 3 tokenizer files
// from ../shared/fixtures/tokenizers/llama3. Outputs are garbage but deterministic, which is what
// pipeline and world-size-independence tests need.
#pragma once

#include <cstdint>
#include <string>

namespace t2::adapt::test {

struct TinyModelOptions {
  int n_embd = 32;
  int n_ff = 64;
  int n_layer = 2;
  int n_head = 4;
  int n_head_kv = 2;
  int n_ctx = 4096;
  uint64_t seed = 7;
  float scale = 0.5f;  // standard deviation of the random weights
  std::string tokenizer_dir = "../shared/fixtures/tokenizers/llama3";
};

// Creates dir (and parents) and writes the checkpoint there. Throws t2::Error.
void write_tiny_model(const std::string& dir, const TinyModelOptions& options = {});

}  // namespace t2::adapt::test
