// Byte-level alphabet tables; see byte_level.h.
#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/unicode.h"

namespace t2::tokenizer {
namespace {

struct Tables {
  std::array<uint32_t, 256> byte_to_cp{};
  std::array<int16_t, 512> cp_to_byte{};  // every alphabet code point is below U+0200
};

const Tables& tables() {
  static const Tables t = [] {
    Tables t;
    t.cp_to_byte.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      t.byte_to_cp[b] = printable ? static_cast<uint32_t>(b) : next++;
      t.cp_to_byte[t.byte_to_cp[b]] = static_cast<int16_t>(b);
    }
    return t;
  }();
  return t;
}

}  // namespace

uint32_t byte_to_char(uint8_t b) { return tables().byte_to_cp[b]; }

int char_to_byte(uint32_t cp) { return cp < 512 ? tables().cp_to_byte[cp] : -1; }

std::optional<std::string> alphabet_to_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  uint32_t cp;
  for (size_t i = 0; i < text.size();) {
    const size_t len = utf8_decode(text, i, &cp);
    if (len == 0) return std::nullopt;
    const int b = char_to_byte(cp);
    if (b < 0) return std::nullopt;
    out.push_back(static_cast<char>(b));
    i += len;
  }
  return out;
}

}  // namespace t2::tokenizer
