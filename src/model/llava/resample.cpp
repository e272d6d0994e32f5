// PIL-exact 8-bit resampling (see resample.h). Names follow Resample.c: precompute_coeffs,
// normalize_coeffs_8bpc, the horizontal and vertical passes.
#include "model/llava/resample.h"

#include <cmath>
#include <vector>

#include "base/error.h"

namespace t2::model::llava {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double bilinear_filter(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubic_filter(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double sinc_filter(double x) {
  if (x == 0.0) return 1.0;
  x *= M_PI;
  return std::sin(x) / x;
}

double lanczos_filter(double x) {
  return -3.0 <= x && x < 3.0 ? sinc_filter(x) * sinc_filter(x / 3) : 0.0;
}

struct Filter {
  double (*fn)(double);
  double support;
};

Filter filter_of(Resample r) {
  switch (r) {
    case Resample::bilinear: return {bilinear_filter, 1.0};
    case Resample::bicubic: return {bicubic_filter, 2.0};
    case Resample::lanczos: return {lanczos_filter, 3.0};
  }
  return {bicubic_filter, 2.0};
}

// Per output pixel xx: the first input index bounds[2xx], the count bounds[2xx+1], and ksize
// fixed-point weights kk[xx * ksize ...].
struct Coeffs {
  int ksize = 0;
  std::vector<int> bounds;
  std::vector<int32_t> kk;
};

Coeffs precompute_coeffs(int in_size, int out_size, const Filter& f) {
  const double in0 = 0.0, in1 = in_size;
  double filterscale = (in1 - in0) / out_size;
  const double scale = filterscale;
  if (filterscale < 1.0) filterscale = 1.0;
  const double support = f.support * filterscale;
  Coeffs c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.bounds.resize(static_cast<size_t>(out_size) * 2);
  c.kk.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> k(static_cast<size_t>(c.ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = f.fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) k[x] /= ww;
    }
    // normalize_coeffs_8bpc: round half away from zero into 22-bit fixed point
    for (int x = 0; x < c.ksize; ++x) {
      const double v = x < xmax ? k[x] : 0.0;
      c.kk[static_cast<size_t>(xx) * c.ksize + x] =
          v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kPrecisionBits))
                : static_cast<int32_t>(0.5 + v * (1 << kPrecisionBits));
    }
    c.bounds[2 * xx] = xmin;
    c.bounds[2 * xx + 1] = xmax;
  }
  return c;
}

uint8_t clip8(int32_t v) {
  const int32_t s = v >> kPrecisionBits;  // arithmetic shift, as PIL's lookup index
  return static_cast<uint8_t>(s < 0 ? 0 : s > 255 ? 255 : s);
}

// Each row of src [h, w_in, 3] resampled to out [h, w_out, 3].
void horizontal_pass(const io::Image& src, io::Image& out, const Coeffs& c) {
  for (int64_t y = 0; y < src.height; ++y) {
    for (int64_t xx = 0; xx < out.width; ++xx) {
      const int xmin = c.bounds[2 * xx], xmax = c.bounds[2 * xx + 1];
      const int32_t* k = c.kk.data() + xx * c.ksize;
      int32_t ss[3] = {1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1)};
      for (int x = 0; x < xmax; ++x) {
        const uint8_t* p = src.pixel(x + xmin, y);
        for (int ch = 0; ch < 3; ++ch) ss[ch] += static_cast<int32_t>(p[ch]) * k[x];
      }
      uint8_t* o = out.pixel(xx, y);
      for (int ch = 0; ch < 3; ++ch) o[ch] = clip8(ss[ch]);
    }
  }
}

// Each column of src [h_in, w, 3] resampled to out [h_out, w, 3].
void vertical_pass(const io::Image& src, io::Image& out, const Coeffs& c) {
  for (int64_t yy = 0; yy < out.height; ++yy) {
    const int ymin = c.bounds[2 * yy], ymax = c.bounds[2 * yy + 1];
    const int32_t* k = c.kk.data() + yy * c.ksize;
    for (int64_t x = 0; x < out.width; ++x) {
      int32_t ss[3] = {1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1)};
      for (int y = 0; y < ymax; ++y) {
        const uint8_t* p = src.pixel(x, y + ymin);
        for (int ch = 0; ch < 3; ++ch) ss[ch] += static_cast<int32_t>(p[ch]) * k[y];
      }
      uint8_t* o = out.pixel(x, yy);
      for (int ch = 0; ch < 3; ++ch) o[ch] = clip8(ss[ch]);
    }
  }
}

io::Image blank(int64_t width, int64_t height) {
  io::Image im;
  im.width = width;
  im.height = height;
  im.rgb.resize(static_cast<size_t>(width * height * 3));
  return im;
}

}  // namespace

io::Image resize_image(const io::Image& image, int64_t width, int64_t height, Resample filter) {
  T2_CHECK(width >= 1 && height >= 1 && image.width >= 1 && image.height >= 1,
           "resize_image: cannot resize a %lld x %lld image to %lld x %lld",
           static_cast<long long>(image.width), static_cast<long long>(image.height),
           static_cast<long long>(width), static_cast<long long>(height));
  T2_CHECK(width < (1 << 20) && height < (1 << 20) && image.width < (1 << 20) &&
               image.height < (1 << 20),
           "resize_image: sides above 2^20 pixels are not supported");
  const Filter f = filter_of(filter);
  // Pillow (recent versions) runs the vertical pass first when the height shrinks by more than
  // twice as many pixels as the width does; the 8-bit intermediate makes the order matter.
  const int64_t dy = image.height - height, dx = image.width - width;
  const bool horizontal_first = !(dy > 0 && dy > 2 * dx);
  io::Image cur = image;
  auto horizontal = [&] {
    if (width == cur.width) return;
    io::Image tmp = blank(width, cur.height);
    horizontal_pass(cur, tmp, precompute_coeffs(static_cast<int>(image.width), static_cast<int>(width), f));
    cur = std::move(tmp);
  };
  auto vertical = [&] {
    if (height == cur.height) return;
    io::Image tmp = blank(cur.width, height);
    vertical_pass(cur, tmp, precompute_coeffs(static_cast<int>(image.height), static_cast<int>(height), f));
    cur = std::move(tmp);
  };
  if (horizontal_first) {
    horizontal();
    vertical();
  } else {
    vertical();
    horizontal();
  }
  return cur;
}

}  // namespace t2::model::llava
