// Test helper: writes a tiny random LLaVA-NeXT checkpoint (config.json with model_type llava_next,
// generation_config.json, model.safetensors in transformers' language_model.* / vision_tower.* /
// multi_modal_projector.* / image_newline layout) whose language model uses the mini model's
// tokenizer (datasets/mini/model) with one reserved special token renamed to <image>, so that
// `t2 eval/train/search` run image tasks end to end on it. The vision side is the shape of the
// llava_next_llama_f32 fixture (CLIP tower: 28 px tiles of 7 px patches, 32 wide, 3 layers, feature
// layer -2; grid pinpoints up to 84 px). Outputs are garbage but deterministic.
#pragma once

#include <cstdint>
#include <string>

namespace t2::adapt::test {

struct TinyLlavaOptions {
  int n_embd = 48;
  int n_ff = 96;
  int n_layer = 2;
  int n_head = 4;
  int n_head_kv = 2;
  uint64_t seed = 11;
  float scale = 0.5f;  // standard deviation of the random language-model weights
  std::string tokenizer_dir = "datasets/mini/model";
};

// The id <image> gets in the written tokenizer (image_token_index of the config).
inline constexpr int32_t kTinyLlavaImageToken = 1535;

// Creates dir (and parents) and writes the checkpoint there. Throws t2::Error.
void write_tiny_llava(const std::string& dir, const TinyLlavaOptions& options = {});

}  // namespace t2::adapt::test
