// PNG (libpng) and JPEG (libjpeg-turbo) decoding to RGB, PNG encoding (see image.h).
//
// Both libraries report errors through a callback that must not return; we leave with longjmp.
// To keep that safe in C++, every setjmp-protected function below keeps all its state in a job
// struct owned by the caller (no local that changes after setjmp, no C++ object with a destructor
// between the longjmp and the setjmp), and the caller turns a failed job into a t2::Error.
#include "io/image.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

// clang-format off
#include <jpeglib.h>  // jpeg_decompress_struct, jpeg_mem_src (needs <cstdio> first)
#include <jerror.h>   // JWRN_JPEG_EOF
// clang-format on
#include <png.h>

#include "base/error.h"
#include "io/file.h"

namespace t2::io {

namespace {

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

std::string pixels_message(const std::string& source, uint64_t w, uint64_t h,
                           const ImageLimits& limits) {
  return format("%s: image is %llu x %llu = %llu pixels, above the limit of %lld pixels; "
                "downscale it or raise the image pixel limit",
                source.c_str(), static_cast<unsigned long long>(w),
                static_cast<unsigned long long>(h), static_cast<unsigned long long>(w * h),
                static_cast<long long>(limits.max_pixels));
}

// PIL's Image.alpha_composite(white, rgba) (AlphaComposite.c, 7 extra bits of precision) for one
// channel value c with alpha a. Against an opaque white background its coefficients reduce to
// a · 128 and (255 − a) · 128 exactly.
uint8_t over_white(uint32_t c, uint32_t a) {
  constexpr uint32_t kPrecision = 7;
  const uint32_t tmp = c * (a << kPrecision) + 255 * ((255 - a) << kPrecision) + (0x80 << kPrecision);
  return static_cast<uint8_t>(((((tmp >> 8) + tmp) >> 8)) >> kPrecision);
}

// [n, 4] RGBA → [n, 3] RGB composited on white, in place (the write index never passes the read).
void composite_on_white(std::vector<uint8_t>& px) {
  const size_t n = px.size() / 4;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* s = px.data() + i * 4;
    const uint8_t r = over_white(s[0], s[3]), g = over_white(s[1], s[3]), b = over_white(s[2], s[3]);
    uint8_t* d = px.data() + i * 3;
    d[0] = r;
    d[1] = g;
    d[2] = b;
  }
  px.resize(n * 3);
}

// What both decoders share: the input, the pixel limit, the size the header declares and where the
// pixels go.
struct DecodeJob {
  DecodeJob(std::span<const uint8_t> bytes, const ImageLimits& limits, Image& img)
      : data(bytes.data()), size(bytes.size()), max_pixels(limits.max_pixels), out(&img.rgb) {}
  // Records and returns whether the declared size is over the limit (checked before allocating).
  bool over_limit() {
    too_big = static_cast<uint64_t>(width) * height > static_cast<uint64_t>(max_pixels);
    return too_big;
  }
  const uint8_t* data;
  size_t size;
  int64_t max_pixels;
  std::vector<uint8_t>* out;
  uint32_t width = 0, height = 0;
  bool too_big = false;
};

// The outcome of a decoder run as an image or a t2::Error naming the source.
void finish_decode(const DecodeJob& job, bool ok, const char* message, const char* format,
                   const std::string& source, const ImageLimits& limits, Image& img) {
  if (job.too_big) throw Error(pixels_message(source, job.width, job.height, limits));
  T2_CHECK(ok, "%s: not a readable %s image: %s", source.c_str(), format, message);
  T2_CHECK(job.width > 0 && job.height > 0, "%s: %s image has zero size", source.c_str(), format);
  img.width = job.width;
  img.height = job.height;
}

// ---- PNG decoding --------------------------------------------------------------------------

struct PngReadJob : DecodeJob {
  using DecodeJob::DecodeJob;
  size_t pos = 0;
  png_structp png = nullptr;
  png_infop info = nullptr;
  bool alpha = false;  // out holds RGBA (an alpha channel or a tRNS transparent colour)
  char message[256] = {0};
  std::vector<png_bytep> rows;
};

void png_error_cb(png_structp png, png_const_charp msg) {
  auto* job = static_cast<PngReadJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof job->message, "%s", msg);
  png_longjmp(png, 1);
}

void png_warning_cb(png_structp, png_const_charp) {}

void png_read_cb(png_structp png, png_bytep dst, size_t n) {
  auto* job = static_cast<PngReadJob*>(png_get_io_ptr(png));
  if (job->size - job->pos < n) png_error(png, "unexpected end of file (the file is truncated)");
  std::memcpy(dst, job->data + job->pos, n);
  job->pos += n;
}

// Returns false with job.message (or job.too_big) set when decoding fails.
bool png_decode(PngReadJob& job) {
  if (setjmp(png_jmpbuf(job.png))) return false;
  png_set_read_fn(job.png, &job, png_read_cb);
  png_read_info(job.png, job.info);
  job.width = png_get_image_width(job.png, job.info);
  job.height = png_get_image_height(job.png, job.info);
  if (job.over_limit()) return false;
  const int color = png_get_color_type(job.png, job.info);
  const int depth = png_get_bit_depth(job.png, job.info);
  const bool trns = png_get_valid(job.png, job.info, PNG_INFO_tRNS) != 0;
  job.alpha = trns || (color & PNG_COLOR_MASK_ALPHA) != 0;
  if (depth == 16) png_set_strip_16(job.png);  // the high byte, as PIL's ";16B" unpackers
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(job.png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(job.png);
  if (trns) png_set_tRNS_to_alpha(job.png);
  if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
    png_set_gray_to_rgb(job.png);
  png_set_interlace_handling(job.png);
  png_read_update_info(job.png, job.info);
  const size_t channels = job.alpha ? 4 : 3;
  if (png_get_rowbytes(job.png, job.info) != static_cast<size_t>(job.width) * channels)
    png_error(job.png, "unexpected row layout after conversion to 8-bit RGB(A)");
  job.out->resize(static_cast<size_t>(job.width) * job.height * channels);
  job.rows.resize(job.height);
  for (uint32_t y = 0; y < job.height; ++y)
    job.rows[y] = job.out->data() + static_cast<size_t>(y) * job.width * channels;
  png_read_image(job.png, job.rows.data());
  return true;
}

Image decode_png(std::span<const uint8_t> bytes, const std::string& source,
                 const ImageLimits& limits) {
  Image img;
  PngReadJob job(bytes, limits, img);
  job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, png_error_cb, png_warning_cb);
  T2_CHECK(job.png != nullptr, "%s: cannot initialise the PNG decoder", source.c_str());
  job.info = png_create_info_struct(job.png);
  const bool ok = job.info != nullptr && png_decode(job);
  png_destroy_read_struct(&job.png, job.info ? &job.info : nullptr, nullptr);
  finish_decode(job, ok, job.message, "PNG", source, limits, img);
  if (job.alpha) composite_on_white(img.rgb);
  return img;
}

// ---- JPEG decoding -------------------------------------------------------------------------

struct JpegReadJob : DecodeJob {
  using DecodeJob::DecodeJob;
  jpeg_error_mgr err{};
  std::jmp_buf jump;
  jpeg_decompress_struct cinfo{};
  bool cmyk = false;
  char message[JMSG_LENGTH_MAX] = {0};
  std::vector<uint8_t> row;  // one CMYK row
};

void jpeg_error_cb(j_common_ptr cinfo) {
  auto* job = static_cast<JpegReadJob*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, job->message);
  std::longjmp(job->jump, 1);
}

// Warnings are ignored except a premature end of data: libjpeg would fill the rest of the image
// with grey, PIL reports the file as truncated, and so do we.
void jpeg_message_cb(j_common_ptr cinfo, int level) {
  if (level >= 0 || cinfo->err->msg_code != JWRN_JPEG_EOF) return;
  auto* job = static_cast<JpegReadJob*>(cinfo->client_data);
  std::snprintf(job->message, sizeof job->message, "unexpected end of data (the file is truncated)");
  std::longjmp(job->jump, 1);
}

// PIL's CMYK → RGB (Convert.c cmyk2rgb) on inverted ("Adobe") CMYK, as PIL reads CMYK JPEGs.
uint8_t cmyk_channel(uint8_t stored_c, uint8_t stored_k) {
  const int c = 255 - stored_c, nk = stored_k;  // nk = 255 - k with k = 255 - stored_k
  const int tmp = c * nk + 128;
  const int v = nk - (((tmp >> 8) + tmp) >> 8);
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

bool jpeg_decode(JpegReadJob& job) {
  if (setjmp(job.jump)) return false;
  jpeg_create_decompress(&job.cinfo);
  jpeg_mem_src(&job.cinfo, const_cast<unsigned char*>(job.data), static_cast<unsigned long>(job.size));
  jpeg_read_header(&job.cinfo, TRUE);
  job.width = job.cinfo.image_width;
  job.height = job.cinfo.image_height;
  if (job.over_limit()) return false;
  job.cmyk = job.cinfo.jpeg_color_space == JCS_CMYK || job.cinfo.jpeg_color_space == JCS_YCCK;
  job.cinfo.out_color_space = job.cmyk ? JCS_CMYK : JCS_RGB;
  job.cinfo.dct_method = JDCT_ISLOW;
  job.cinfo.do_fancy_upsampling = TRUE;
  jpeg_start_decompress(&job.cinfo);
  const int comps = job.cinfo.output_components;
  if ((job.cmyk && comps != 4) || (!job.cmyk && comps != 3))
    ERREXIT(&job.cinfo, JERR_CONVERSION_NOTIMPL);
  job.out->resize(static_cast<size_t>(job.width) * job.height * 3);
  job.row.resize(static_cast<size_t>(job.width) * 4);
  while (job.cinfo.output_scanline < job.cinfo.output_height) {
    uint8_t* dst = job.out->data() + static_cast<size_t>(job.cinfo.output_scanline) * job.width * 3;
    JSAMPROW row = job.cmyk ? job.row.data() : dst;
    jpeg_read_scanlines(&job.cinfo, &row, 1);
    if (job.cmyk) {
      for (uint32_t x = 0; x < job.width; ++x) {
        const uint8_t* s = job.row.data() + x * 4;
        for (int ch = 0; ch < 3; ++ch) dst[x * 3 + ch] = cmyk_channel(s[ch], s[3]);
      }
    }
  }
  jpeg_finish_decompress(&job.cinfo);
  return true;
}

Image decode_jpeg(std::span<const uint8_t> bytes, const std::string& source,
                  const ImageLimits& limits) {
  Image img;
  JpegReadJob job(bytes, limits, img);
  job.cinfo.err = jpeg_std_error(&job.err);
  job.cinfo.client_data = &job;
  job.err.error_exit = jpeg_error_cb;
  job.err.emit_message = jpeg_message_cb;
  const bool ok = jpeg_decode(job);
  jpeg_destroy_decompress(&job.cinfo);
  finish_decode(job, ok, job.message, "JPEG", source, limits, img);
  return img;
}

// ---- PNG encoding --------------------------------------------------------------------------

struct PngWriteJob {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const Image* image = nullptr;
  std::string* out = nullptr;
  std::vector<png_bytep> rows;
  char message[256] = {0};
};

void png_write_error_cb(png_structp png, png_const_charp msg) {
  auto* job = static_cast<PngWriteJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof job->message, "%s", msg);
  png_longjmp(png, 1);
}

void png_write_cb(png_structp png, png_bytep data, size_t n) {
  auto* job = static_cast<PngWriteJob*>(png_get_io_ptr(png));
  job->out->append(reinterpret_cast<const char*>(data), n);
}

void png_flush_cb(png_structp) {}

bool png_encode(PngWriteJob& job) {
  if (setjmp(png_jmpbuf(job.png))) return false;
  png_set_write_fn(job.png, &job, png_write_cb, png_flush_cb);
  png_set_compression_level(job.png, 9);
  const Image& im = *job.image;
  png_set_IHDR(job.png, job.info, static_cast<png_uint_32>(im.width),
               static_cast<png_uint_32>(im.height), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(job.png, job.info);
  png_write_image(job.png, job.rows.data());
  png_write_end(job.png, nullptr);
  return true;
}

}  // namespace

ImageFormat sniff_image_format(std::span<const uint8_t> b) {
  if (b.size() >= 8 && std::memcmp(b.data(), kPngSignature, 8) == 0) return ImageFormat::png;
  if (b.size() >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return ImageFormat::jpeg;
  return ImageFormat::unknown;
}

Image decode_image(std::span<const uint8_t> bytes, const std::string& source,
                   const ImageLimits& limits) {
  T2_CHECK(!bytes.empty(), "%s: image file is empty", source.c_str());
  switch (sniff_image_format(bytes)) {
    case ImageFormat::png: return decode_png(bytes, source, limits);
    case ImageFormat::jpeg: return decode_jpeg(bytes, source, limits);
    case ImageFormat::unknown: break;
  }
  T2_FAIL("%s: not a PNG or JPEG image (its first bytes are neither signature); "
          "convert it to PNG or JPEG", source.c_str());
}

Image read_image(const std::string& path, const ImageLimits& limits) {
  std::error_code ec;
  T2_CHECK(std::filesystem::is_regular_file(path, ec), "%s: no such image file", path.c_str());
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  T2_CHECK(f.is_open(), "%s: cannot open image file", path.c_str());
  const std::streamoff size = f.tellg();
  T2_CHECK(size >= 0, "%s: cannot read image file", path.c_str());
  T2_CHECK(size <= limits.max_file_bytes,
           "%s: image file has %lld bytes, above the limit of %lld bytes", path.c_str(),
           static_cast<long long>(size), static_cast<long long>(limits.max_file_bytes));
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  f.seekg(0);
  f.read(reinterpret_cast<char*>(bytes.data()), size);
  T2_CHECK(f.good() || size == 0, "%s: cannot read image file", path.c_str());
  return decode_image(bytes, path, limits);
}

std::string encode_png(const Image& im) {
  T2_CHECK(im.width > 0 && im.height > 0 && im.width <= 0x7fffffff && im.height <= 0x7fffffff &&
               im.rgb.size() == static_cast<size_t>(im.width * im.height * 3),
           "encode_png: image of %lld x %lld needs %lld RGB bytes, has %zu",
           static_cast<long long>(im.width), static_cast<long long>(im.height),
           static_cast<long long>(im.width * im.height * 3), im.rgb.size());
  std::string out;
  PngWriteJob job;
  job.image = &im;
  job.out = &out;
  job.rows.resize(static_cast<size_t>(im.height));
  for (int64_t y = 0; y < im.height; ++y)
    job.rows[y] = const_cast<png_bytep>(im.rgb.data() + y * im.width * 3);
  job.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &job, png_write_error_cb, png_warning_cb);
  T2_CHECK(job.png != nullptr, "encode_png: cannot initialise the PNG encoder");
  job.info = png_create_info_struct(job.png);
  const bool ok = job.info != nullptr && png_encode(job);
  png_destroy_write_struct(&job.png, job.info ? &job.info : nullptr);
  T2_CHECK(ok, "encode_png: %s", job.message);
  return out;
}

void write_png(const std::string& path, const Image& image) {
  write_file_atomic(path, encode_png(image));
}

}  // namespace t2::io
