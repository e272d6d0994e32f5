// Image files: PNG and JPEG decoding to 8-bit RGB (libpng, libjpeg-turbo), and PNG encoding for
// generated images (the mini VQA suite, test fixtures). Decoding follows what PIL's
// opens and what transformers' convert_to_rgb makes of it, because that is where vision-language
// preprocessing starts: grey and palette images are expanded to RGB; transparency (an alpha channel
// or a tRNS colour) is composited onto white with PIL's alpha_composite arithmetic; 16-bit PNG
// samples keep their high byte (PIL's ";16B" unpackers; PIL clamps 16-bit grey instead, a case we
// do not follow); JPEG uses the library's accurate integer DCT with fancy upsampling (PIL's
// defaults), and CMYK/YCCK JPEGs are read as Adobe-inverted CMYK and converted with PIL's formula.
// EXIF orientation is not applied (PIL's open does not apply it either).
// What the pixels mean to a model (resizing, normalisation) is model/llava's business.
//
// Every failure is a t2::Error naming the file: unknown format, truncated or corrupt data, zero
// size, or more pixels than the limit (checked from the header, before any pixel memory is
// allocated). A bad file never crashes the process. Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace t2::io {

// An 8-bit RGB image, rows top to bottom. rgb: [height, width, 3].
struct Image {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<uint8_t> rgb;

  uint8_t* pixel(int64_t x, int64_t y) { return rgb.data() + (y * width + x) * 3; }
  const uint8_t* pixel(int64_t x, int64_t y) const { return rgb.data() + (y * width + x) * 3; }
};

enum class ImageFormat { png, jpeg, unknown };

struct ImageLimits {
  // Width × height above this is refused (PIL's default MAX_IMAGE_PIXELS, about 89.5 Mpixel).
  int64_t max_pixels = 89'478'485;
  // Files larger than this are refused before they are read.
  int64_t max_file_bytes = int64_t(256) << 20;
};

// The format from the file's first bytes (PNG signature, JPEG SOI marker).
ImageFormat sniff_image_format(std::span<const uint8_t> bytes);

// Decodes PNG or JPEG bytes; `source` names the data in error messages. Throws t2::Error.
Image decode_image(std::span<const uint8_t> bytes, const std::string& source,
                   const ImageLimits& limits = {});

// Reads and decodes a PNG or JPEG file. Throws t2::Error naming the path.
Image read_image(const std::string& path, const ImageLimits& limits = {});

// PNG bytes of an RGB image (8-bit, no interlace, zlib level 9). Deterministic for given pixels.
std::string encode_png(const Image& image);
// encode_png, published atomically at path.
void write_png(const std::string& path, const Image& image);

}  // namespace t2::io
