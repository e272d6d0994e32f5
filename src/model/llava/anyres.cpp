// anyres geometry (see anyres.h), transcribed from transformers' image_processing_utils
// (select_best_resolution, get_patch_output_size) and modeling_llava_next (unpad_image,
// pack_image_features).
#include "model/llava/anyres.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.h"

namespace t2::model::llava {

namespace {

// Python's int(round(v, 7)) for v >= 0: v within 5e-8 of an integer counts as that integer, else
// it is truncated.
int64_t int_round7(double v) {
  const double k = std::nearbyint(v);
  return std::fabs(v - k) < 5e-8 ? static_cast<int64_t>(k) : static_cast<int64_t>(v);
}

}  // namespace

Resolution select_best_resolution(int64_t height, int64_t width, std::span<const Resolution> pins) {
  T2_CHECK(height > 0 && width > 0 && !pins.empty(),
           "select_best_resolution: need a non-empty image and at least one pinpoint");
  Resolution best{};
  int64_t max_effective = 0;
  int64_t min_wasted = std::numeric_limits<int64_t>::max();
  for (const Resolution& r : pins) {
    const double scale = std::min(static_cast<double>(r[1]) / static_cast<double>(width),
                                  static_cast<double>(r[0]) / static_cast<double>(height));
    const auto dw = static_cast<int64_t>(static_cast<double>(width) * scale);
    const auto dh = static_cast<int64_t>(static_cast<double>(height) * scale);
    const int64_t effective = std::min(dw * dh, width * height);
    const int64_t wasted = r[0] * r[1] - effective;
    if (effective > max_effective || (effective == max_effective && wasted < min_wasted)) {
      max_effective = effective;
      min_wasted = wasted;
      best = r;
    }
  }
  return best;
}

Resolution fit_size(int64_t height, int64_t width, Resolution target) {
  const double scale_w = static_cast<double>(target[1]) / static_cast<double>(width);
  const double scale_h = static_cast<double>(target[0]) / static_cast<double>(height);
  if (scale_w < scale_h) {
    const auto h = static_cast<int64_t>(std::ceil(static_cast<double>(height) * scale_w));
    return {std::min(h, target[0]), target[1]};
  }
  const auto w = static_cast<int64_t>(std::ceil(static_cast<double>(width) * scale_h));
  return {target[0], std::min(w, target[1])};
}

UnpaddedGrid unpad_grid(int64_t height, int64_t width, int64_t grid_rows, int64_t grid_cols) {
  UnpaddedGrid g{0, grid_rows, 0, grid_cols};
  const double original_aspect = static_cast<double>(width) / static_cast<double>(height);
  const double current_aspect = static_cast<double>(grid_cols) / static_cast<double>(grid_rows);
  if (original_aspect > current_aspect) {
    const double scale = static_cast<double>(grid_cols) / static_cast<double>(width);
    const int64_t new_rows = int_round7(static_cast<double>(height) * scale);
    const int64_t pad = (grid_rows - new_rows) / 2;
    g.row0 = pad;
    g.rows = grid_rows - 2 * pad;
  } else {
    const double scale = static_cast<double>(grid_rows) / static_cast<double>(height);
    const int64_t new_cols = int_round7(static_cast<double>(width) * scale);
    const int64_t pad = (grid_cols - new_cols) / 2;
    g.col0 = pad;
    g.cols = grid_cols - 2 * pad;
  }
  return g;
}

ImageLayout image_layout(int64_t height, int64_t width, const LlavaConfig& c) {
  T2_CHECK(c.select == FeatureSelect::default_,
           "vision_feature_select_strategy \"full\" keeps the class-token feature, which the "
           "LLaVA-NeXT grid packing cannot place (%lld features per tile for a %lld x %lld patch "
           "grid; transformers fails on the same reshape); use \"default\"",
           static_cast<long long>(c.n_tile_features()), static_cast<long long>(c.vision.grid()),
           static_cast<long long>(c.vision.grid()));
  ImageLayout L;
  const int64_t tile = c.vision.image_size, g = c.vision.grid();
  L.best = select_best_resolution(height, width, c.grid_pinpoints);
  L.tile_rows = L.best[0] / tile;
  L.tile_cols = L.best[1] / tile;
  L.n_tiles = 1 + L.tile_rows * L.tile_cols;
  L.grid = unpad_grid(height, width, L.tile_rows * g, L.tile_cols * g);
  L.n_features = c.vision.n_patches() + L.grid.rows * (L.grid.cols + 1);
  return L;
}

}  // namespace t2::model::llava
