// LLaVA-NeXT loading, vision pass, anyres packing and placeholder expansion (see model.h).
// Shapes: T tiles, P features per tile, d = text hidden size, g = patches per tile side.
#include "model/llava/model.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "base/timer.h"
#include "io/safetensors.h"
#include "model/llava/anyres.h"
#include "model/llava/checkpoint.h"  // language_model_names
#include "model/llava/vision_ops.h"
#include "model/weight_names.h"
#include "tensor/ops.h"  // linear

namespace t2::model::llava {

namespace {

// Where each part of the checkpoint lives; transformers has written two layouts over time, and
// the vision tower with or without its "vision_model." level.
struct Layout {
  std::string lm;         // prefix replacing "model." of canonical Llama names
  std::string head;       // the stored name of lm_head.weight
  std::string vision;     // prefix of the tower's tensors
  std::string projector;  // prefix of linear_1 / linear_2
  std::string newline;    // name of image_newline
};

std::string first_present(const io::SafetensorsDir& f, std::initializer_list<std::string> names,
                          const std::string& suffix, const std::string& dir, const char* what) {
  for (const auto& n : names)
    if (f.find(n + suffix) != nullptr) return n;
  std::string tried;
  for (const auto& n : names) tried += (tried.empty() ? "'" : ", '") + n + suffix + "'";
  T2_FAIL("%s: no %s tensor found (looked for %s); is this a LLaVA-NeXT checkpoint saved by "
          "transformers?", dir.c_str(), what, tried.c_str());
}

Layout detect_layout(const std::string& dir) {
  const io::SafetensorsDir f(dir);
  Layout L;
  L.lm = first_present(f, {"language_model.model.", "model.language_model."}, "embed_tokens.weight",
                       dir, "language-model embedding");
  L.head = L.lm == "language_model.model." ? "language_model.lm_head.weight" : "lm_head.weight";
  L.vision = first_present(f, {"vision_tower.vision_model.", "vision_tower.",
                               "model.vision_tower.vision_model.", "model.vision_tower."},
                           "embeddings.class_embedding", dir, "vision-tower");
  L.projector = first_present(f, {"multi_modal_projector.", "model.multi_modal_projector."},
                              "linear_1.weight", dir, "projector");
  L.newline = first_present(f, {"image_newline", "model.image_newline"}, "", dir, "image_newline");
  return L;
}

// canonical Llama name → stored name of the language model's tensors.
StoredNameFn stored_names(const Layout& L) {
  return [lm = L.lm, head = L.head](const std::string& canonical) {
    if (canonical == kLmHeadName) return head;
    constexpr std::string_view kModel = "model.";
    if (canonical.compare(0, kModel.size(), kModel) == 0) return lm + canonical.substr(kModel.size());
    return canonical;
  };
}

}  // namespace

StoredNameFn language_model_names(const std::string& dir) { return stored_names(detect_layout(dir)); }

GenerationRequest LlavaPrompt::request(int64_t max_new_tokens, SamplingParams sampling, uint64_t id) const {
  GenerationRequest r;
  r.id = id;
  r.prompt = ids;
  r.max_new_tokens = max_new_tokens;
  r.sampling = sampling;
  r.embeds = embeds;
  r.embeds_owner = features;
  return r;
}

std::shared_ptr<const LlavaModel> LlavaModel::load(const std::string& dir, const LlavaLoadOptions& opt) {
  std::shared_ptr<LlavaModel> m(new LlavaModel());
  m->dir_ = dir;
  m->config_ = load_llava_config(dir);
  const LlavaConfig& c = m->config_;
  const Layout L = detect_layout(dir);

  LoadOptions lo;
  lo.tp = opt.tp;
  lo.config = c.text;
  lo.stored_name = stored_names(L);
  m->lm_ = LlamaModel::load(dir, lo);

  const io::SafetensorsDir& files = m->lm_->weights().files();
  m->tower_ = std::make_unique<VisionTower>(TensorReader(files, L.vision), c.vision,
                                            c.n_vision_layers_used());
  const TensorReader proj(files, L.projector);
  const int64_t d = c.text.n_embd, in = c.n_projector_in();
  m->proj1_ = proj.matrix("linear_1.weight", {d, in},
                          "[text hidden_size, vision hidden_size × number of feature layers]");
  m->proj2_ = proj.matrix("linear_2.weight", {d, d}, "[text hidden_size, text hidden_size]");
  if (c.projector_bias) {
    m->proj1_b_ = proj.floats("linear_1.bias", {d}, "[text hidden_size]");
    m->proj2_b_ = proj.floats("linear_2.bias", {d}, "[text hidden_size]");
  }
  m->newline_ = TensorReader(files, "").floats(L.newline, {d}, "[text hidden_size]");
  return m;
}

std::vector<float> LlavaModel::encode_tiles(const PixelValues& px) const {
  const LlavaConfig& c = config_;
  T2_CHECK(px.tile == c.vision.image_size && px.n_tiles >= 1 &&
               px.data.size() == static_cast<size_t>(px.n_tiles * 3 * px.tile * px.tile),
           "pixel values of %lld tiles of %lld px do not fit the vision tower (%lld px tiles)",
           static_cast<long long>(px.n_tiles), static_cast<long long>(px.tile),
           static_cast<long long>(c.vision.image_size));
  const int64_t P = c.n_tile_features(), rows = px.n_tiles * P;
  const int64_t in = c.n_projector_in(), d = c.text.n_embd;
  std::vector<float> sel(static_cast<size_t>(rows * in));  // [T, P, D·L]
  tower_->forward(px.data.data(), px.n_tiles, c.feature_layers,
                  c.select == FeatureSelect::full, sel.data());
  std::vector<float> hid(static_cast<size_t>(rows * d)), out(hid.size());  // [T·P, d]
  tensor::linear(sel.data(), proj1_.data, proj1_.dtype, hid.data(), rows, d, in);
  if (!proj1_b_.empty()) add_bias(hid.data(), proj1_b_.data(), rows, d);
  activate(hid.data(), rows * d, c.projector_act);
  tensor::linear(hid.data(), proj2_.data, proj2_.dtype, out.data(), rows, d, d);
  if (!proj2_b_.empty()) add_bias(out.data(), proj2_b_.data(), rows, d);
  return out;
}

ImageFeatures LlavaModel::image_features(const PixelValues& px) const {
  const Timer timer;
  const LlavaConfig& c = config_;
  const ImageLayout L = image_layout(px.image_height, px.image_width, c);
  T2_CHECK(px.n_tiles == L.n_tiles,
           "pixel values hold %lld tiles but a %lld x %lld image is cut into %lld",
           static_cast<long long>(px.n_tiles), static_cast<long long>(px.image_height),
           static_cast<long long>(px.image_width), static_cast<long long>(L.n_tiles));
  const std::vector<float> tiles = encode_tiles(px);  // [T, P, d]
  const int64_t d = c.text.n_embd, g = c.vision.grid(), P = c.vision.n_patches();
  const size_t row_bytes = static_cast<size_t>(d) * sizeof(float);
  ImageFeatures f;
  f.n = L.n_features;
  f.data.resize(static_cast<size_t>(f.n * d));
  float* dst = f.data.data();
  std::memcpy(dst, tiles.data(), static_cast<size_t>(P) * row_bytes);  // the base image
  dst += P * d;
  for (int64_t y = L.grid.row0; y < L.grid.row0 + L.grid.rows; ++y) {
    for (int64_t x = L.grid.col0; x < L.grid.col0 + L.grid.cols; ++x) {
      const int64_t tile = 1 + (y / g) * L.tile_cols + x / g;
      std::memcpy(dst, tiles.data() + (tile * P + (y % g) * g + x % g) * d, row_bytes);
      dst += d;
    }
    std::memcpy(dst, newline_.data(), row_bytes);
    dst += d;
  }
  f.seconds = timer.seconds();
  return f;
}

ImageFeatures LlavaModel::encode_image(const io::Image& image) const {
  const Timer timer;
  ImageFeatures f = image_features(preprocess_image(image, config_.image));
  f.seconds = timer.seconds();
  return f;
}

ImageFeatures LlavaModel::encode_image_file(const std::string& path, const io::ImageLimits& limits) const {
  return encode_image(io::read_image(path, limits));
}

int64_t LlavaModel::n_image_tokens(int64_t height, int64_t width) const {
  return image_layout(height, width, config_).n_features;
}

LlavaPrompt LlavaModel::expand_prompt(std::span<const int32_t> ids, std::vector<ImageFeatures> images) const {
  return expand_prompt(ids, std::make_shared<const std::vector<ImageFeatures>>(std::move(images)));
}

LlavaPrompt LlavaModel::expand_prompt(std::span<const int32_t> ids,
                                      std::shared_ptr<const std::vector<ImageFeatures>> owned) const {
  T2_CHECK(owned != nullptr, "expand_prompt: no image list given");
  const int32_t img = config_.image_token_id;
  const auto n_marks = static_cast<size_t>(std::count(ids.begin(), ids.end(), img));
  T2_CHECK(n_marks == owned->size(),
           "the prompt has %zu image tokens (id %d) but %zu images were given; put one image "
           "token per image where the image belongs", n_marks, img, owned->size());
  LlavaPrompt p;
  size_t next = 0;
  for (int32_t t : ids) {
    if (t != img) {
      p.ids.push_back(t);
      continue;
    }
    const ImageFeatures& f = (*owned)[next++];
    T2_CHECK(f.data.size() == static_cast<size_t>(f.n * config_.text.n_embd),
             "image %zu: %lld feature rows need %lld values, found %zu", next - 1,
             static_cast<long long>(f.n), static_cast<long long>(f.n * config_.text.n_embd),
             f.data.size());
    p.embeds.push_back({static_cast<int64_t>(p.ids.size()), f.n, f.data.data()});
    p.ids.insert(p.ids.end(), static_cast<size_t>(f.n), img);
    p.vision_seconds += f.seconds;
  }
  p.features = std::move(owned);
  return p;
}

}  // namespace t2::model::llava
