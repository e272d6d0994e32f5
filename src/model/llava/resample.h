// Image resizing exactly as PIL's Image.resize does it for 8-bit RGB (libImaging/Resample.c, Pillow
// 13): separable convolution, filter support scaled by the downscale factor, per-output-pixel
// weights normalised and turned into 22-bit fixed point, each pass rounded and clamped to 8 bits.
// The horizontal pass runs first unless the height shrinks by more than twice as many pixels as
// the width (Pillow's pass-order rule; older Pillow always went horizontal first, which moves a
// few pixels by one level). A dimension that keeps its size gets no pass (same size: a copy). The
// LLaVA-NeXT processor resizes through PIL, so matching it bit for bit keeps pixel values equal to
// transformers'. Pure function; thread-safe.
#pragma once

#include <cstdint>

#include "io/image.h"
#include "model/llava/config.h"

namespace t2::model::llava {

// `image` resized to width × height (both >= 1) with the filter.
io::Image resize_image(const io::Image& image, int64_t width, int64_t height, Resample filter);

}  // namespace t2::model::llava
