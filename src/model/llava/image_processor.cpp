// LLaVA-NeXT image preprocessing (see image_processor.h), following transformers'
// LlavaNextImageProcessorPil: get_image_patches, then _preprocess on every patch.
#include "model/llava/image_processor.h"

#include <algorithm>

#include "base/error.h"
#include "model/llava/anyres.h"
#include "model/llava/resample.h"

namespace t2::model::llava {

namespace {

// The region [x0, x0 + w) × [y0, y0 + h) of src; parts outside src are black (np.pad / the
// padding branch of center_crop).
io::Image crop(const io::Image& src, int64_t x0, int64_t y0, int64_t w, int64_t h) {
  io::Image out;
  out.width = w;
  out.height = h;
  out.rgb.assign(static_cast<size_t>(w * h * 3), 0);
  for (int64_t y = 0; y < h; ++y) {
    const int64_t sy = y0 + y;
    if (sy < 0 || sy >= src.height) continue;
    const int64_t xa = std::max<int64_t>(0, -x0), xb = std::min(w, src.width - x0);
    if (xa < xb)
      std::copy_n(src.pixel(x0 + xa, sy), (xb - xa) * 3, out.pixel(xa, y));
  }
  return out;
}

// transformers' get_resize_output_image_size(default_to_square=False) for a shortest edge.
Resolution shortest_edge_size(int64_t height, int64_t width, int64_t edge) {
  const int64_t s = std::min(height, width), l = std::max(height, width);
  const auto new_long = static_cast<int64_t>(static_cast<double>(edge) * static_cast<double>(l) /
                                             static_cast<double>(s));
  return width <= height ? Resolution{new_long, edge} : Resolution{edge, new_long};
}

// center_crop: offsets (orig − crop) // 2; a smaller image is first centred on black
// (top pad = ceil((new − orig) / 2)).
io::Image center_crop(const io::Image& im, int64_t ch, int64_t cw) {
  if (im.height >= ch && im.width >= cw) {
    return crop(im, (im.width - cw) / 2, (im.height - ch) / 2, cw, ch);
  }
  const int64_t nh = std::max(ch, im.height), nw = std::max(cw, im.width);
  const int64_t top_pad = (nh - im.height + 1) / 2, left_pad = (nw - im.width + 1) / 2;
  const io::Image padded = crop(im, -left_pad, -top_pad, nw, nh);
  // Python's floor division of a possibly negative difference
  auto floordiv2 = [](int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); };
  const int64_t top = floordiv2(im.height - ch) + top_pad, left = floordiv2(im.width - cw) + left_pad;
  return crop(padded, left, top, cw, ch);
}

// One patch through _preprocess: resize, centre crop, rescale, normalise → dst [3, tile, tile].
void finish_patch(io::Image patch, const ImageProcessorConfig& c, float* dst) {
  if (c.do_resize) {
    // A shortest edge, when given, takes precedence here (SizeDict order in resize()).
    const Resolution r = c.size_shortest_edge > 0
                             ? shortest_edge_size(patch.height, patch.width, c.size_shortest_edge)
                             : Resolution{c.size_height, c.size_width};
    patch = resize_image(patch, r[1], r[0], c.resample);
  }
  if (c.do_center_crop) patch = center_crop(patch, c.crop_height, c.crop_width);
  T2_CHECK(patch.height == c.tile() && patch.width == c.tile(),
           "image preprocessing made a %lld x %lld patch where the vision tower takes %lld x %lld; "
           "check size and crop_size in preprocessor_config.json",
           static_cast<long long>(patch.height), static_cast<long long>(patch.width),
           static_cast<long long>(c.tile()), static_cast<long long>(c.tile()));
  const int64_t n = patch.height * patch.width;
  for (int ch = 0; ch < 3; ++ch) {
    for (int64_t i = 0; i < n; ++i) {
      float v = patch.rgb[static_cast<size_t>(i * 3 + ch)];
      if (c.do_rescale) v = static_cast<float>(static_cast<double>(v) * c.rescale_factor);
      if (c.do_normalize) v = (v - c.image_mean[ch]) / c.image_std[ch];
      dst[ch * n + i] = v;
    }
  }
}

}  // namespace

PixelValues preprocess_image(const io::Image& image, const ImageProcessorConfig& c) {
  T2_CHECK(image.width > 0 && image.height > 0 &&
               image.rgb.size() == static_cast<size_t>(image.width * image.height * 3),
           "preprocess_image: the image is empty or its pixel buffer does not match its size");
  const int64_t tile = c.tile();
  const Resolution best = select_best_resolution(image.height, image.width, c.grid_pinpoints);
  const Resolution fit = fit_size(image.height, image.width, best);
  const io::Image resized = resize_image(image, fit[1], fit[0], c.resample);
  const io::Image padded =
      crop(resized, -(best[1] - fit[1]) / 2, -(best[0] - fit[0]) / 2, best[1], best[0]);
  const int64_t rows = best[0] / tile, cols = best[1] / tile;

  PixelValues pv;
  pv.n_tiles = 1 + rows * cols;
  pv.tile = tile;
  pv.image_height = image.height;
  pv.image_width = image.width;
  pv.data.resize(static_cast<size_t>(pv.n_tiles * 3 * tile * tile));
  const size_t tile_floats = static_cast<size_t>(3 * tile * tile);
  const Resolution base = c.base_size();
  finish_patch(resize_image(image, base[1], base[0], c.resample), c, pv.data.data());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t q = 0; q < cols; ++q)
      finish_patch(crop(padded, q * tile, r * tile, tile, tile), c,
                   pv.data.data() + (1 + r * cols + q) * tile_floats);
  return pv;
}

}  // namespace t2::model::llava
