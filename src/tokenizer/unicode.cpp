// UTF-8 coding and character classes; see unicode.h.
#include "tokenizer/unicode.h"

#include <vector>

namespace t2::tokenizer {
namespace {

struct CodeRange {
  uint32_t first, last;
};

#include "tokenizer/unicode_tables.inc"  // kLetterRanges, kNumberRanges, kSpaceRanges

// One byte of class bits per code point (1.1 MB), filled once from the range tables.
const std::vector<uint8_t>& class_table() {
  static const std::vector<uint8_t> table = [] {
    std::vector<uint8_t> t(0x110000, 0);
    auto fill = [&t](const CodeRange* r, size_t n, uint8_t bit) {
      for (size_t i = 0; i < n; ++i)
        for (uint32_t cp = r[i].first; cp <= r[i].last; ++cp) t[cp] |= bit;
    };
    fill(kLetterRanges, std::size(kLetterRanges), kClassLetter);
    fill(kNumberRanges, std::size(kNumberRanges), kClassNumber);
    fill(kSpaceRanges, std::size(kSpaceRanges), kClassSpace);
    return t;
  }();
  return table;
}

}  // namespace

uint8_t char_class(uint32_t cp) {
  static const uint8_t* table = class_table().data();
  return cp < 0x110000 ? table[cp] : 0;
}


size_t utf8_decode(std::string_view s, size_t pos, uint32_t* cp) {
  const size_t n = s.size() - pos;
  const auto b0 = static_cast<uint8_t>(s[pos]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  auto cont = [&](size_t i) { return (static_cast<uint8_t>(s[pos + i]) & 0xC0) == 0x80; };
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(s[pos + i])); };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (n < 2 || !cont(1)) return 0;
    *cp = ((b0 & 0x1Fu) << 6) | (byte(1) & 0x3F);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (n < 3 || !cont(1) || !cont(2)) return 0;
    const uint32_t c = ((b0 & 0x0Fu) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
    if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (n < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    const uint32_t c = ((b0 & 0x07u) << 18) | ((byte(1) & 0x3F) << 12) | ((byte(2) & 0x3F) << 6) |
                       (byte(3) & 0x3F);
    if (c < 0x10000 || c > 0x10FFFF) return 0;
    *cp = c;
    return 4;
  }
  return 0;
}

void utf8_append(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t find_invalid_utf8(std::string_view text) {
  uint32_t cp;
  for (size_t i = 0; i < text.size();) {
    const size_t len = utf8_decode(text, i, &cp);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

namespace {

// Length of the maximal prefix of an ill-formed sequence at s[pos] that could still start a
// well-formed one (Unicode "maximal subpart"); at least 1.
size_t maximal_subpart(std::string_view s, size_t pos) {
  const auto b0 = static_cast<uint8_t>(s[pos]);
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  size_t len = 1;
  while (len < need && pos + len < s.size()) {
    const auto b = static_cast<uint8_t>(s[pos + len]);
    const uint8_t l = len == 1 ? lo : 0x80, h = len == 1 ? hi : 0xBF;
    if (b < l || b > h) break;
    ++len;
  }
  return len;
}

}  // namespace

std::string utf8_lossy(std::string_view bytes) {
  if (find_invalid_utf8(bytes) == std::string_view::npos) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 8);
  uint32_t cp;
  for (size_t i = 0; i < bytes.size();) {
    const size_t len = utf8_decode(bytes, i, &cp);
    if (len > 0) {
      out.append(bytes.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");  // U+FFFD
      i += maximal_subpart(bytes, i);
    }
  }
  return out;
}

size_t utf8_complete_prefix(std::string_view bytes) {
  // Look back at most 3 bytes for the start of a sequence that is cut off by the end.
  const size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const size_t pos = n - back;
    const auto b = static_cast<uint8_t>(bytes[pos]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    if (b < 0x80) return n;
    if (maximal_subpart(bytes, pos) == back) {
      size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
      if (back < need) return pos;  // well-formed so far but incomplete
    }
    return n;
  }
  return n;
}

}  // namespace t2::tokenizer
