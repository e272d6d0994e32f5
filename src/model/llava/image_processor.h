// LlavaNextImageProcessor in C++: an RGB image becomes the pixel values of its tiles — first the
// whole image resized to the base size, then the image resized into its best grid pinpoint
// (keeping its aspect ratio), padded with black to the pinpoint and cut into tiles row by row.
// Each tile is resized / centre-cropped as configured, rescaled (× 1/255 in double, then float)
// and normalised with the mean and std in float, as transformers' PIL backend does. Resizing is
// PIL's (resample.h), so pixel values equal transformers' up to float rounding of the last step
// (docs/llava.md gives the measured agreement). Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "io/image.h"
#include "model/llava/config.h"

namespace t2::model::llava {

struct PixelValues {
  int64_t n_tiles = 0;
  int64_t tile = 0;            // side of a tile in pixels (the tower's image_size)
  int64_t image_height = 0;    // of the original image (transformers' image_sizes)
  int64_t image_width = 0;
  std::vector<float> data;     // [n_tiles, 3, tile, tile]
};

PixelValues preprocess_image(const io::Image& image, const ImageProcessorConfig& config);

}  // namespace t2::model::llava
