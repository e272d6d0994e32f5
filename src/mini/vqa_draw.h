// Drawing for the mini VQA suite: filled rectangles, discs and triangles, and text from a built-in
// 5x7 bitmap font (digits and capital letters), on an 8-bit RGB io::Image. Shapes are clipped to
// the canvas. Deterministic; no fonts or files are read.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "io/image.h"

namespace t2::mini {

using Rgb = std::array<uint8_t, 3>;

io::Image blank_image(int64_t width, int64_t height, Rgb background);
void fill_rect(io::Image& im, int64_t x0, int64_t y0, int64_t w, int64_t h, Rgb c);
void fill_disc(io::Image& im, double cx, double cy, double r, Rgb c);
// The triangle pointing up inside the box [x0, x0 + w) × [y0, y0 + h).
void fill_triangle(io::Image& im, int64_t x0, int64_t y0, int64_t w, int64_t h, Rgb c);

// Glyph cell: 5 × 7 pixels plus one column of spacing, times `scale`.
inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;
// Width in pixels of `text` drawn at `scale` (6 · scale per character, minus the last gap).
int64_t text_width(std::string_view text, int scale);
// Draws digits and capital letters with their top-left corner at (x, y); other characters are
// left blank (a space).
void draw_text(io::Image& im, int64_t x, int64_t y, std::string_view text, int scale, Rgb c);

}  // namespace t2::mini
