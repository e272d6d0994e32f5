// Configuration of a LLaVA-NeXT checkpoint (transformers' LlavaNextForConditionalGeneration,
// model_type "llava_next"): the language model's LlamaConfig (text_config, with the defaults of its
// model_type filled in, since llava-hf configs list only non-default keys), the CLIP vision
// tower (vision_config), the projector and feature selection, the image token, and the image
// preprocessing of preprocessor_config.json (LlavaNextImageProcessor's keys). Anything t2 cannot
// run faithfully (another vision tower, an unknown activation or resampling filter, grid pinpoints
// that are not whole tiles) is refused here with the file and key named, before any weight is read.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/llama/config.h"

namespace t2::model::llava {

// Activations of the vision MLP and the projector, by their transformers names.
enum class Activation : uint8_t {
  gelu,        // "gelu": 0.5 x (1 + erf(x / sqrt 2))
  gelu_tanh,   // "gelu_pytorch_tanh", "gelu_new": the tanh approximation
  quick_gelu,  // "quick_gelu": x sigmoid(1.702 x)
};

// CLIPVisionConfig (model_type clip_vision_model).
struct VisionConfig {
  int64_t n_embd = 1024;      // hidden_size
  int64_t n_ff = 4096;        // intermediate_size
  int64_t n_layer = 24;       // num_hidden_layers
  int64_t n_head = 16;        // num_attention_heads
  int64_t image_size = 336;   // side of one tile in pixels
  int64_t patch_size = 14;
  double layer_norm_eps = 1e-5;
  Activation act = Activation::quick_gelu;  // hidden_act

  int64_t grid() const { return image_size / patch_size; }        // patches per side
  int64_t n_patches() const { return grid() * grid(); }
  int64_t n_positions() const { return n_patches() + 1; }         // + the class token
  int64_t head_dim() const { return n_embd / n_head; }
  int64_t patch_dim() const { return 3 * patch_size * patch_size; }  // conv weight [n_embd, 3, p, p]
};

enum class FeatureSelect : uint8_t { default_, full };  // drop the class token, or keep it
enum class Resample : uint8_t { bilinear, bicubic, lanczos };  // PIL filters 2, 3, 1

using Resolution = std::array<int64_t, 2>;  // [height, width], as grid pinpoints are written

// LlavaNextImageProcessor settings (preprocessor_config.json).
struct ImageProcessorConfig {
  bool do_resize = true;
  bool do_center_crop = true;
  bool do_rescale = true;
  bool do_normalize = true;
  int64_t size_shortest_edge = 336;  // size {"shortest_edge": n}, or 0 when height/width are given
  int64_t size_height = 0, size_width = 0;
  int64_t crop_height = 336, crop_width = 336;
  double rescale_factor = 1.0 / 255.0;
  std::array<float, 3> image_mean = {0.48145466f, 0.4578275f, 0.40821073f};  // OPENAI_CLIP_MEAN
  std::array<float, 3> image_std = {0.26862954f, 0.26130258f, 0.27577711f};  // OPENAI_CLIP_STD
  Resample resample = Resample::bicubic;
  std::vector<Resolution> grid_pinpoints;

  // The side of the tiles the image is cut into (crop_size height).
  int64_t tile() const { return crop_height; }
  // (height, width) the base image is resized to: size height/width, or shortest_edge squared.
  Resolution base_size() const;
};

struct LlavaConfig {
  LlamaConfig text;
  VisionConfig vision;
  ImageProcessorConfig image;
  std::vector<int64_t> feature_layers;  // indices into the n_layer + 1 hidden states, >= 0
  FeatureSelect select = FeatureSelect::default_;
  Activation projector_act = Activation::gelu;
  bool projector_bias = true;
  int32_t image_token_id = 32000;
  std::vector<Resolution> grid_pinpoints;  // config.json's (equal to the processor's)

  // Vision layers to run: the deepest selected hidden state.
  int64_t n_vision_layers_used() const;
  // Features per tile after selection: patches (+ 1 with the class token kept).
  int64_t n_tile_features() const;
  int64_t n_projector_in() const { return vision.n_embd * static_cast<int64_t>(feature_layers.size()); }
};

Activation parse_activation(const std::string& name, const std::string& source, const char* key);

// Parses config.json (and preprocessor_config.json text; empty: the processor defaults for the
// tower's tile size and config.json's grid pinpoints). `source`/`processor_source` name the files.
LlavaConfig parse_llava_config(const std::string& config_json, const std::string& source,
                               const std::string& processor_json,
                               const std::string& processor_source);

// Reads DIR/config.json, DIR/preprocessor_config.json when present, and DIR/generation_config.json
// (applied to the language model as for a plain checkpoint). Throws t2::Error.
LlavaConfig load_llava_config(const std::string& dir);

// True when DIR/config.json names model_type "llava_next" (a quick check for callers that accept
// both plain and LLaVA checkpoints; false when the file is missing or unreadable).
bool is_llava_checkpoint(const std::string& dir);

}  // namespace t2::model::llava
