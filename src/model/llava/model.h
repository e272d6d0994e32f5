// LlavaModel: a LLaVA-NeXT checkpoint (transformers' LlavaNextForConditionalGeneration) as t2 runs
// it — the CLIP vision tower, the multi-modal projector (linear, activation, linear), the
// image_newline vector, and the language model, which is an ordinary LlamaModel. Images become
// feature rows (tower → selected hidden states → projector → anyres packing with unpadding and a
// newline per row), and a prompt's image-token placeholders become EmbeddingRuns that generate()
// and score() splice in place of the placeholders' token embeddings. The language model never
// knows about images: RunContexts, SVF overrides (canonical Llama names such as
// model.layers.3.mlp.up_proj.weight) and tensor parallelism work on language_model() as on any
// Llama checkpoint. The vision side is replicated on every rank.
//
// Loaded once, immutable, shared by threads; encoding is const and thread-safe (each call has its
// own scratch). Typical use:
//   auto llava = LlavaModel::load(dir);
//   ImageFeatures f = llava->encode_image_file("cat.jpg");          // the vision pass
//   LlavaPrompt p = llava->expand_prompt(ids_with_one_image_token, {std::move(f)});
//   RunContext ctx(llava->language_model());
//   auto out = generate(ctx, std::vector{p.request(64)});
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/image.h"
#include "model/generate.h"
#include "model/llama/model.h"
#include "model/llava/config.h"
#include "model/llava/image_processor.h"
#include "model/llava/vision_tower.h"

namespace t2::model::llava {

struct LlavaLoadOptions {
  TpShard tp;  // the language model's shard; the vision side is loaded whole on every rank
};

// One image's rows for the language model: [n, text hidden size].
struct ImageFeatures {
  int64_t n = 0;
  std::vector<float> data;
  double seconds = 0;  // wall time of the vision pass that made them (decode excluded)
};

// A prompt ready for the language model: placeholders expanded, features attached.
struct LlavaPrompt {
  std::vector<int32_t> ids;            // each image token repeated to its image's feature count
  std::vector<EmbeddingRun> embeds;    // one run per image, pointing into `features`
  std::shared_ptr<const std::vector<ImageFeatures>> features;
  double vision_seconds = 0;           // sum of the images' vision passes

  // A generation request for this prompt (the request shares ownership of the features).
  GenerationRequest request(int64_t max_new_tokens, SamplingParams sampling = {}, uint64_t id = 0) const;
};

class LlavaModel {
 public:
  // Reads config.json, preprocessor_config.json, generation_config.json and the safetensors of a
  // LLaVA-NeXT directory. Tensor names may be in either layout transformers writes
  // (language_model.model.* / vision_tower.vision_model.* / multi_modal_projector.* /
  // image_newline, or model.language_model.* / model.vision_tower.* / ... / lm_head.weight, with
  // or without the vision_model level). Throws t2::Error.
  static std::shared_ptr<const LlavaModel> load(const std::string& dir, const LlavaLoadOptions& opt = {});

  const LlavaConfig& config() const { return config_; }
  const std::shared_ptr<const LlamaModel>& language_model() const { return lm_; }
  const VisionTower& vision_tower() const { return *tower_; }

  // Tower + projector for every tile: [n_tiles, n_tile_features, text hidden] (the class token's
  // row first when the strategy is "full").
  std::vector<float> encode_tiles(const PixelValues& pixels) const;
  // encode_tiles + anyres packing: the rows that replace this image's placeholders.
  ImageFeatures image_features(const PixelValues& pixels) const;
  // Preprocessing + image_features.
  ImageFeatures encode_image(const io::Image& image) const;
  // read_image + encode_image: the vision pass of a sample that names its image by path.
  ImageFeatures encode_image_file(const std::string& path, const io::ImageLimits& limits = {}) const;

  // Placeholders an image of height × width expands to (= rows of its features).
  int64_t n_image_tokens(int64_t height, int64_t width) const;

  // `ids` hold exactly one image token per image, in the order of `images`; each is expanded to
  // its image's feature count. Throws t2::Error when the counts do not match.
  LlavaPrompt expand_prompt(std::span<const int32_t> ids, std::vector<ImageFeatures> images) const;
  // The same with features already shared (several prompts of one image share one copy).
  LlavaPrompt expand_prompt(std::span<const int32_t> ids,
                            std::shared_ptr<const std::vector<ImageFeatures>> images) const;

 private:
  LlavaModel() = default;

  std::string dir_;
  LlavaConfig config_;
  std::shared_ptr<const LlamaModel> lm_;
  std::unique_ptr<VisionTower> tower_;
  Weight proj1_, proj2_;                 // [d, D·L], [d, d]
  std::vector<float> proj1_b_, proj2_b_; // [d] (empty without projector bias)
  std::vector<float> newline_;           // [d]
};

}  // namespace t2::model::llava
