// Shapes and the 5x7 bitmap font (see vqa_draw.h). Each glyph is seven rows of five cells.
#include "mini/vqa_draw.h"

#include <algorithm>
#include <cmath>

namespace t2::mini {

namespace {

// '#' = ink. Digits 0-9, then A-Z.
constexpr const char* kGlyphs[36][kGlyphHeight] = {
    {" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "},  // 0
    {"  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "},  // 1
    {" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"},  // 2
    {"#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "},  // 3
    {"   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "},  // 4
    {"#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "},  // 5
    {"  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "},  // 6
    {"#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "},  // 7
    {" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "},  // 8
    {" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "},  // 9
    {" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"},  // A
    {"#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "},  // B
    {" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "},  // C
    {"#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "},  // D
    {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"},  // E
    {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "},  // F
    {" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"},  // G
    {"#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"},  // H
    {" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "},  // I
    {"  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "},  // J
    {"#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"},  // K
    {"#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"},  // L
    {"#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"},  // M
    {"#   #", "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #"},  // N
    {" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "},  // O
    {"#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "},  // P
    {" ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #"},  // Q
    {"#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"},  // R
    {" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "},  // S
    {"#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "},  // T
    {"#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "},  // U
    {"#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "},  // V
    {"#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # "},  // W
    {"#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"},  // X
    {"#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "},  // Y
    {"#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####"},  // Z
};

void put(io::Image& im, int64_t x, int64_t y, Rgb c) {
  if (x < 0 || y < 0 || x >= im.width || y >= im.height) return;
  uint8_t* p = im.pixel(x, y);
  p[0] = c[0];
  p[1] = c[1];
  p[2] = c[2];
}

}  // namespace

io::Image blank_image(int64_t width, int64_t height, Rgb bg) {
  io::Image im;
  im.width = width;
  im.height = height;
  im.rgb.resize(static_cast<size_t>(width * height * 3));
  for (size_t i = 0; i < im.rgb.size(); i += 3) {
    im.rgb[i] = bg[0];
    im.rgb[i + 1] = bg[1];
    im.rgb[i + 2] = bg[2];
  }
  return im;
}

void fill_rect(io::Image& im, int64_t x0, int64_t y0, int64_t w, int64_t h, Rgb c) {
  for (int64_t y = y0; y < y0 + h; ++y)
    for (int64_t x = x0; x < x0 + w; ++x) put(im, x, y, c);
}

void fill_disc(io::Image& im, double cx, double cy, double r, Rgb c) {
  for (int64_t y = static_cast<int64_t>(cy - r); y <= static_cast<int64_t>(cy + r) + 1; ++y)
    for (int64_t x = static_cast<int64_t>(cx - r); x <= static_cast<int64_t>(cx + r) + 1; ++x) {
      const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      if (dx * dx + dy * dy <= r * r) put(im, x, y, c);
    }
}

void fill_triangle(io::Image& im, int64_t x0, int64_t y0, int64_t w, int64_t h, Rgb c) {
  // Apex at the top centre; at row t the span is t / h of the width, centred.
  for (int64_t t = 0; t < h; ++t) {
    const double half = 0.5 * w * (t + 1) / h;
    const double mid = x0 + 0.5 * w;
    for (int64_t x = static_cast<int64_t>(std::floor(mid - half)); x < static_cast<int64_t>(std::ceil(mid + half)); ++x)
      put(im, x, y0 + t, c);
  }
}

int64_t text_width(std::string_view text, int scale) {
  return text.empty() ? 0 : static_cast<int64_t>(text.size()) * (kGlyphWidth + 1) * scale - scale;
}

void draw_text(io::Image& im, int64_t x, int64_t y, std::string_view text, int scale, Rgb c) {
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    int g = -1;
    if (ch >= '0' && ch <= '9') g = ch - '0';
    if (ch >= 'A' && ch <= 'Z') g = 10 + (ch - 'A');
    if (g < 0) continue;
    const int64_t gx = x + static_cast<int64_t>(i) * (kGlyphWidth + 1) * scale;
    for (int row = 0; row < kGlyphHeight; ++row)
      for (int col = 0; col < kGlyphWidth; ++col)
        if (kGlyphs[g][row][col] == '#') fill_rect(im, gx + col * scale, y + row * scale, scale, scale, c);
  }
}

}  // namespace t2::mini
