// LLaVA-NeXT image preprocessing against transformers' LlavaNextImageProcessorPil with the real
// model's settings (336 px tiles, CLIP mean/std, the default grid pinpoints) on 23 real-world-like
// images (tests/reference/llava/fixtures/images: PNG of every colour type and JPEG of every
// subsampling, sizes from 3x2 to 1024x768, aspect ratios from 1:30 to 6.7:1), and the anyres
// geometry on cases worked out by hand from transformers' published algorithm.
//
// Stated tolerance: PNG inputs give bit-identical pixel values; JPEG inputs agree within one 8-bit
// level after normalisation (1 / (255 · 0.2613) = 0.0150), allowing for a libjpeg-turbo build other
// than the one Pillow bundles (measured: identical as well, see docs/llava.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io/file.h"
#include "io/image.h"
#include "llava_fixture.h"
#include "model/llava/anyres.h"
#include "model/llava/image_processor.h"

using namespace t2;
using namespace t2::model::llava;

namespace {

constexpr uint64_t kSampleStep = 2654435761ull;

bool is_jpeg(const std::string& f) { return test::pixel_tolerance(f) > 0; }

std::vector<Resolution> default_pinpoints() {
  return {{336, 672}, {672, 336}, {672, 672}, {1008, 336}, {336, 1008}};
}

// The processor of llava-hf LLaVA-NeXT checkpoints (all defaults of ImageProcessorConfig).
ImageProcessorConfig real_processor() {
  ImageProcessorConfig c;
  c.grid_pinpoints = default_pinpoints();
  return c;
}

// A LlavaConfig with the LLaVA-NeXT vision geometry (CLIP ViT-L/14 at 336 px).
LlavaConfig real_geometry() {
  LlavaConfig c;
  c.grid_pinpoints = default_pinpoints();
  c.image = real_processor();
  c.feature_layers = {22};
  return c;
}

}  // namespace

TEST(LlavaPreprocess, RealWorldImagesMatchTransformersPixelValues) {
  const std::string root = test::kLlavaFixtureRoot;
  const auto meta = nlohmann::json::parse(io::read_file(root + "/images.json"));
  const test::ExpectedTensors ref(root + "/images.safetensors");
  const auto proc = real_processor();
  ASSERT_GE(meta["images"].size(), 20u);
  double worst_png = 0, worst_jpeg = 0;
  for (const auto& im : meta["images"]) {
    const std::string file = im["file"];
    const std::string key = file.substr(0, file.rfind('.'));
    const io::Image img = io::read_image(test::llava_image(file));
    ASSERT_EQ(img.width, im["width"].get<int64_t>()) << file;
    ASSERT_EQ(img.height, im["height"].get<int64_t>()) << file;

    // Decoded pixels: PIL's decode + convert_to_rgb.
    int64_t sums[3] = {0, 0, 0};
    for (size_t i = 0; i < img.rgb.size(); ++i) sums[i % 3] += img.rgb[i];
    const auto rgb_samples = ref.get(key + ".rgb_samples");
    int decode_diff = 0;
    for (size_t k = 0; k < rgb_samples.size(); ++k)
      decode_diff = std::max(decode_diff, std::abs(int(img.rgb[(k * kSampleStep) % img.rgb.size()]) -
                                                   int(rgb_samples[k])));
    if (!is_jpeg(file)) {
      for (int c = 0; c < 3; ++c) EXPECT_EQ(sums[c], im["rgb_sums"][c].get<int64_t>()) << file;
    }
    EXPECT_LE(decode_diff, is_jpeg(file) ? 1 : 0) << file;

    // Pixel values.
    const PixelValues pv = preprocess_image(img, proc);
    const auto shape = im["pixel_shape"].get<std::vector<int64_t>>();
    ASSERT_EQ(pv.n_tiles, shape[0]) << file;
    ASSERT_EQ(pv.tile, shape[2]) << file;
    const auto samples = ref.get(key + ".pixel_samples");
    double err = 0;
    for (size_t k = 0; k < samples.size(); ++k)
      err = std::max(err, std::fabs(double(pv.data[(k * kSampleStep) % pv.data.size()]) - samples[k]));
    const auto sums_ref = ref.get(key + ".pixel_sums");  // [tiles, 3]
    const int64_t plane = pv.tile * pv.tile;
    double sum_err = 0;
    for (int64_t t = 0; t < pv.n_tiles * 3; ++t) {
      double s = 0;
      for (int64_t i = 0; i < plane; ++i) s += pv.data[t * plane + i];
      sum_err = std::max(sum_err, std::fabs(s - sums_ref[t]) / plane);
    }
    const double tol = test::pixel_tolerance(file);
    EXPECT_LE(err, tol) << file << ": sampled pixel values";
    EXPECT_LE(sum_err, tol + 1e-6) << file << ": mean of a tile's channel";
    (is_jpeg(file) ? worst_jpeg : worst_png) = std::max(is_jpeg(file) ? worst_jpeg : worst_png, err);
  }
  std::printf("max |Δ pixel value| over samples: PNG %.3g, JPEG %.3g (tolerance %.4f)\n",
              worst_png, worst_jpeg, test::pixel_tolerance(".jpg"));
}

TEST(LlavaAnyres, BestResolutionFitAndUnpaddingByHand) {
  const auto pins = default_pinpoints();
  // 640 x 480: [672, 672] keeps all 307200 pixels (scale 1.05); the 336-high pinpoints keep
  // 448 x 336 = 150528 at best.
  EXPECT_EQ(select_best_resolution(480, 640, pins), (Resolution{672, 672}));
  // 336 x 336: every pinpoint keeps 112896 pixels; [336, 672] and [672, 336] waste the least and
  // the first wins.
  EXPECT_EQ(select_best_resolution(336, 336, pins), (Resolution{336, 672}));
  // 1000 x 150: [336, 1008] (scale 1.008, all 150000 pixels kept).
  EXPECT_EQ(select_best_resolution(150, 1000, pins), (Resolution{336, 1008}));
  // 40 x 1200: [1008, 336] keeps 33 x 1008 pixels (scale 0.84).
  EXPECT_EQ(select_best_resolution(1200, 40, pins), (Resolution{1008, 336}));

  // get_patch_output_size: 480 x 640 into 672 x 672 → width fills (672), height ceil(480 · 1.05).
  EXPECT_EQ(fit_size(480, 640, {672, 672}), (Resolution{504, 672}));
  // 1200 x 40 into 1008 x 336 → height fills, width ceil(40 · 0.84) = ceil(33.6) = 34.
  EXPECT_EQ(fit_size(1200, 40, {1008, 336}), (Resolution{1008, 34}));
  // 3 x 2 into 336 x 672: scale_h 168 < scale_w 224 → height fills, width 3 · 168 = 504.
  EXPECT_EQ(fit_size(2, 3, {336, 672}), (Resolution{336, 504}));

  // unpad_image on the 48 x 48 feature grid of a 640 x 480 image: aspect 4/3 > 1, so rows are cut:
  // new height int(480 · 48 / 640) = 36, padding (48 − 36) // 2 = 6 → rows [6, 42).
  const UnpaddedGrid a = unpad_grid(480, 640, 48, 48);
  EXPECT_EQ(a.row0, 6);
  EXPECT_EQ(a.rows, 36);
  EXPECT_EQ(a.col0, 0);
  EXPECT_EQ(a.cols, 48);
  // 336 x 336 on a 24 x 48 grid: aspect 1 < 2, columns cut: new width 24, padding 12.
  const UnpaddedGrid b = unpad_grid(336, 336, 24, 48);
  EXPECT_EQ(b.col0, 12);
  EXPECT_EQ(b.cols, 24);
  EXPECT_EQ(b.rows, 24);
  // Odd leftover: 1000 x 150 on 24 x 72: new height int(150 · 0.072) = int(10.8) = 10, padding 7.
  const UnpaddedGrid c = unpad_grid(150, 1000, 24, 72);
  EXPECT_EQ(c.row0, 7);
  EXPECT_EQ(c.rows, 10);
  // Same aspect ratio as the grid (3 = 3): the else branch keeps every column.
  const UnpaddedGrid d = unpad_grid(100, 300, 24, 72);
  EXPECT_EQ(d.rows, 24);
  EXPECT_EQ(d.cols, 72);

  // Feature counts: base 24 · 24 = 576 + kept rows · (kept columns + 1 newline).
  const LlavaConfig cfg = real_geometry();
  EXPECT_EQ(image_layout(480, 640, cfg).n_features, 576 + 36 * 49);   // 2340
  EXPECT_EQ(image_layout(336, 336, cfg).n_features, 576 + 24 * 25);   // 1176
  EXPECT_EQ(image_layout(150, 1000, cfg).n_features, 576 + 10 * 73);  // 1306
  EXPECT_EQ(image_layout(1200, 40, cfg).n_features, 576 + 72 * 3);    // 792
  EXPECT_EQ(image_layout(480, 640, cfg).n_tiles, 5);
  EXPECT_EQ(image_layout(1200, 40, cfg).n_tiles, 4);
}

TEST(LlavaPreprocess, TileLayoutAndNormalisationOfAFlatImage) {
  // A uniform grey image: every tile is that grey everywhere except the black padding, whose
  // normalised value is −mean/std; the base image has no padding.
  io::Image img;
  img.width = 500;
  img.height = 200;
  img.rgb.assign(500 * 200 * 3, 128);
  const auto proc = real_processor();
  const PixelValues pv = preprocess_image(img, proc);
  // 500 x 200: [336, 672] (scale 1.344: 672 x 268 > 100000 pixels, capped at all 100000) ties with
  // [672, 672] and [336, 1008] but wastes least → 1 + 2 tiles. Inside it the width fills (672)
  // and the height is ceil(200 · 1.344) = 269, so rows 0..32 and 302..335 are padding (67 = 33 + 34).
  ASSERT_EQ(pv.n_tiles, 3);
  const int64_t S = pv.tile, plane = S * S;
  for (int ch = 0; ch < 3; ++ch) {
    const float v = static_cast<float>(128 * proc.rescale_factor);
    const float grey = (v - proc.image_mean[ch]) / proc.image_std[ch];
    const float black = (0.0f - proc.image_mean[ch]) / proc.image_std[ch];
    EXPECT_EQ(pv.data[ch * plane + 100 * S + 100], grey);  // base image: no padding
    EXPECT_EQ(pv.data[ch * plane + 0], grey);
    for (int t = 1; t <= 2; ++t) {
      const float* tile = pv.data.data() + (t * 3 + ch) * plane;
      EXPECT_EQ(tile[32 * S + 10], black);
      EXPECT_EQ(tile[33 * S + 10], grey);
      EXPECT_EQ(tile[301 * S + 300], grey);
      EXPECT_EQ(tile[302 * S + 300], black);
    }
  }
}
