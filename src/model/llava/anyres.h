// LLaVA-NeXT's "anyres" geometry, as transformers computes it: which grid pinpoint an image is
// fitted to, the size it is resized to inside that pinpoint, how the tiles' feature grid is
// cropped back to the image's aspect ratio ("unpadding"), and so how many features — and so how
// many image-token placeholders — an image of a given size yields. Integer and float steps follow
// transformers' Python (int() truncation, math.ceil, round(x, 7)) so counts agree exactly.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>

#include "model/llava/config.h"

namespace t2::model::llava {

// select_best_resolution: the pinpoint [height, width] that keeps most of the image's pixels
// (effective resolution) and, among equals, wastes the fewest. First one wins ties.
Resolution select_best_resolution(int64_t height, int64_t width, std::span<const Resolution> pinpoints);

// get_patch_output_size: the size [height, width] the image is resized to inside `target`, keeping
// its aspect ratio (one side fills the target, the other is rounded up and capped).
Resolution fit_size(int64_t height, int64_t width, Resolution target);

// Rows and columns of the feature grid kept after unpadding (unpad_image), for an image of
// height × width whose tiles' features form a grid of grid_rows × grid_cols.
struct UnpaddedGrid {
  int64_t row0 = 0, rows = 0;  // rows [row0, row0 + rows) of the grid
  int64_t col0 = 0, cols = 0;  // columns [col0, col0 + cols)
};
UnpaddedGrid unpad_grid(int64_t height, int64_t width, int64_t grid_rows, int64_t grid_cols);

// What an image of height × width becomes: tiles (base image + grid), the grid of tile rows/cols,
// and the number of features the packed sequence has (base patches + unpadded grid + one newline
// per kept row) — the count LlavaNextProcessor expands the image token to.
struct ImageLayout {
  Resolution best{};          // the chosen pinpoint
  int64_t tile_rows = 0;      // best[0] / tile
  int64_t tile_cols = 0;      // best[1] / tile
  int64_t n_tiles = 0;        // 1 + tile_rows * tile_cols
  UnpaddedGrid grid;          // of the (tile_rows * patches) × (tile_cols * patches) feature grid
  int64_t n_features = 0;
};
// Throws t2::Error for the "full" strategy, whose class-token feature cannot be laid out in the
// patch grid (transformers fails on the same reshape).
ImageLayout image_layout(int64_t height, int64_t width, const LlavaConfig& config);

}  // namespace t2::model::llava
