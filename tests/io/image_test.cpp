// PNG / JPEG reading: round trip through the PNG encoder, format sniffing, and every way a file can
// be bad — empty, not an image, truncated anywhere, corrupted chunks, absurd dimensions in the
// header (refused before any pixel memory is allocated), over the size limits, missing — each a
// t2::Error naming the file, never a crash; plus a mutation fuzz over real PNG and JPEG files.
// (Decoded pixels against PIL's are checked on 23 images in tests/model/llava_preprocess_test.cpp.)
#include <gtest/gtest.h>
#include <unistd.h>  // getpid

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "base/error.h"
#include "io/file.h"
#include "io/image.h"

namespace t2::io {
namespace {

const std::string kImages = "tests/reference/llava/fixtures/images/";

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::vector<uint8_t> file_bytes(const std::string& path) { return bytes_of(read_file(path)); }

Image random_image(int64_t w, int64_t h, uint32_t seed) {
  std::mt19937 rng(seed);
  Image im;
  im.width = w;
  im.height = h;
  im.rgb.resize(static_cast<size_t>(w * h * 3));
  for (auto& v : im.rgb) v = static_cast<uint8_t>(rng());
  return im;
}

// The error message of decoding, or "" when it decoded.
std::string decode_error(const std::vector<uint8_t>& b, const ImageLimits& limits = {}) {
  try {
    const Image im = decode_image(b, "x.img", limits);
    EXPECT_GT(im.width, 0);
    EXPECT_EQ(im.rgb.size(), static_cast<size_t>(im.width * im.height * 3));
    return "";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.img"), std::string::npos) << e.what();
    return e.what();
  }
}

void put_be32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

// A PNG made of a signature, an IHDR with these dimensions (valid CRC), an empty IDAT and IEND.
std::vector<uint8_t> png_header_only(uint32_t w, uint32_t h) {
  std::vector<uint8_t> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> ihdr = {0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 0, 0, 0, 0, 0, 8, 2, 0, 0, 0};
  put_be32(ihdr, 8, w);
  put_be32(ihdr, 12, h);
  const uint32_t crc = static_cast<uint32_t>(crc32(0, ihdr.data() + 4, 17));
  ihdr.resize(25);
  put_be32(ihdr, 21, crc);
  b.insert(b.end(), ihdr.begin(), ihdr.end());
  const uint8_t idat[] = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xaf, 0x06, 0x1e};
  b.insert(b.end(), std::begin(idat), std::end(idat));
  const uint8_t iend[] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
  b.insert(b.end(), std::begin(iend), std::end(iend));
  return b;
}

TEST(Image, PngRoundTripIsLosslessAndDeterministic) {
  for (auto [w, h] : {std::pair<int64_t, int64_t>{1, 1}, {7, 3}, {64, 40}, {3, 200}}) {
    const Image im = random_image(w, h, static_cast<uint32_t>(w * 31 + h));
    const std::string png = encode_png(im);
    EXPECT_EQ(png, encode_png(im));
    EXPECT_EQ(sniff_image_format(bytes_of(png)), ImageFormat::png);
    const Image back = decode_image(bytes_of(png), "mem");
    EXPECT_EQ(back.width, w);
    EXPECT_EQ(back.height, h);
    EXPECT_EQ(back.rgb, im.rgb);
  }
  Image bad;
  bad.width = 2;
  bad.height = 2;
  bad.rgb.resize(5);
  EXPECT_THROW(encode_png(bad), Error);
}

TEST(Image, WritePngPublishesAFileThatReadsBack) {
  const auto path = (std::filesystem::temp_directory_path() / ("t2_img_" + std::to_string(::getpid()) + ".png")).string();
  const Image im = random_image(33, 17, 5);
  write_png(path, im);
  EXPECT_EQ(read_image(path).rgb, im.rgb);
  std::filesystem::remove(path);
}

TEST(Image, EveryFixtureDecodesWithItsSize) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(kImages)) {
    const std::string name = e.path().filename().string();
    // names end in _WxH.ext
    const size_t us = name.rfind('_'), x = name.rfind('x'), dot = name.rfind('.');
    const int64_t w = std::stoll(name.substr(us + 1, x - us - 1));
    const int64_t h = std::stoll(name.substr(x + 1, dot - x - 1));
    const Image im = read_image(e.path().string());
    EXPECT_EQ(im.width, w) << name;
    EXPECT_EQ(im.height, h) << name;
    ++n;
  }
  EXPECT_GE(n, 20);
}

TEST(Image, NotAnImageEmptyOrMissingIsAnError) {
  EXPECT_NE(decode_error({}).find("empty"), std::string::npos);
  EXPECT_NE(decode_error(bytes_of("GIF89a......")).find("not a PNG or JPEG"), std::string::npos);
  EXPECT_NE(decode_error(bytes_of("\x89PNG")).find("not a PNG or JPEG"), std::string::npos);
  EXPECT_THROW(read_image(kImages + "no_such_file.png"), Error);
  EXPECT_THROW(read_image(kImages), Error);  // a directory
  ImageLimits tiny;
  tiny.max_file_bytes = 100;
  try {
    read_image(kImages + "digits_500x200.png", tiny);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("limit"), std::string::npos) << e.what();
  }
}

TEST(Image, TruncatedFilesAreErrors) {
  const auto png = bytes_of(encode_png(random_image(120, 80, 9)));
  for (double f : {0.001, 0.05, 0.2, 0.5, 0.8, 0.95}) {
    std::vector<uint8_t> cut(png.begin(), png.begin() + static_cast<long>(png.size() * f));
    const std::string err = decode_error(cut);
    EXPECT_FALSE(err.empty()) << "PNG cut at " << f;
  }
  const auto jpg = file_bytes(kImages + "noise_320x240.jpg");
  for (double f : {0.01, 0.05, 0.3, 0.6, 0.95}) {
    std::vector<uint8_t> cut(jpg.begin(), jpg.begin() + static_cast<long>(jpg.size() * f));
    const std::string err = decode_error(cut);
    EXPECT_FALSE(err.empty()) << "JPEG cut at " << f;
    if (f > 0.2) {
      EXPECT_NE(err.find("truncated"), std::string::npos) << err;
    }
  }
  const auto prog = file_bytes(kImages + "shapes_progressive_800x600.jpg");
  std::vector<uint8_t> cut(prog.begin(), prog.begin() + static_cast<long>(prog.size() / 2));
  EXPECT_FALSE(decode_error(cut).empty()) << "progressive JPEG cut in half";
}

TEST(Image, CorruptedPngChunksAreErrors) {
  auto png = bytes_of(encode_png(random_image(60, 40, 3)));
  auto bad_crc = png;
  bad_crc[29] ^= 0xff;  // IHDR CRC
  EXPECT_FALSE(decode_error(bad_crc).empty());
  auto bad_data = png;
  for (size_t i = 50; i < 60; ++i) bad_data[i] ^= 0x5a;  // inside IDAT: its CRC no longer matches
  EXPECT_FALSE(decode_error(bad_data).empty());
  EXPECT_FALSE(decode_error(png_header_only(0, 10)).empty());  // zero width
}

TEST(Image, HugeDimensionsAreRefusedFromTheHeader) {
  // 100000 x 100000 RGB would need 30 GB; the header alone is refused.
  const std::string err = decode_error(png_header_only(100000, 100000));
  EXPECT_NE(err.find("limit"), std::string::npos) << err;
  EXPECT_NE(err.find("100000 x 100000"), std::string::npos) << err;

  // A JPEG whose frame header claims 65000 x 65000.
  auto jpg = file_bytes(kImages + "s444_300x300.jpg");
  bool patched = false;
  for (size_t i = 2; i + 9 < jpg.size(); ++i) {
    if (jpg[i] == 0xff && (jpg[i + 1] == 0xc0 || jpg[i + 1] == 0xc2)) {
      jpg[i + 5] = 0xfd;  // height 0xfde8 = 65000
      jpg[i + 6] = 0xe8;
      jpg[i + 7] = 0xfd;  // width
      jpg[i + 8] = 0xe8;
      patched = true;
      break;
    }
  }
  ASSERT_TRUE(patched);
  const std::string jerr = decode_error(jpg);
  EXPECT_NE(jerr.find("limit"), std::string::npos) << jerr;

  // A configured limit applies to ordinary files too.
  ImageLimits small;
  small.max_pixels = 300 * 300 - 1;
  EXPECT_NE(decode_error(file_bytes(kImages + "s444_300x300.jpg"), small).find("limit"), std::string::npos);
  small.max_pixels = 300 * 300;
  EXPECT_EQ(decode_error(file_bytes(kImages + "s444_300x300.jpg"), small), "");
}

TEST(Image, MutatedFilesDecodeOrFailCleanly) {
  std::mt19937 rng(2024);
  int errors = 0, decoded = 0;
  for (const char* name : {"tiny_24x18.png", "palette_trns_350x260.png", "cmyk_200x160.jpg",
                           "s422_301x203.jpg"}) {
    const auto orig = file_bytes(kImages + name);
    for (int it = 0; it < 60; ++it) {
      auto b = orig;
      const int n_flips = 1 + static_cast<int>(rng() % 8);
      for (int k = 0; k < n_flips; ++k) b[rng() % b.size()] = static_cast<uint8_t>(rng());
      if (rng() % 3 == 0) b.resize(1 + rng() % b.size());
      (decode_error(b).empty() ? decoded : errors) += 1;
    }
  }
  EXPECT_GT(errors, 0);
  std::printf("mutations: %d decoded, %d refused with an error\n", decoded, errors);
}

}  // namespace
}  // namespace t2::io
