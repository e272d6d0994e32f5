// Unicode helpers for the tokenizer: UTF-8 decoding and encoding, the character classes the
// pre-tokenizer patterns use (\p{L}, \p{N}, \s), and lossy UTF-8 repair for decoded bytes.
// The class data comes from unicode_tables.inc (generated from Python's unicodedata); nothing
// here knows about tokens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace t2::tokenizer {

// Character class bits of one code point.
enum CharClass : uint8_t {
  kClassLetter = 1,  // \p{L}
  kClassNumber = 2,  // \p{N}
  kClassSpace = 4,   // \s (White_Space)
};

// Class bits of a code point (0 for code points beyond U+10FFFF). O(1), thread-safe.
uint8_t char_class(uint32_t cp);

// Decodes the UTF-8 sequence starting at text[pos]; returns its length (1-4) and stores the code
// point, or returns 0 when the bytes there are not well-formed UTF-8 (overlong, surrogate,
// truncated, > U+10FFFF).
size_t utf8_decode(std::string_view text, size_t pos, uint32_t* cp);

// Appends the UTF-8 encoding of cp.
void utf8_append(uint32_t cp, std::string* out);

// Byte offset of the first ill-formed sequence, or npos when text is valid UTF-8.
size_t find_invalid_utf8(std::string_view text);

// Replaces each maximal ill-formed subsequence with U+FFFD, as Rust's String::from_utf8_lossy
// and Python's bytes.decode(errors="replace") do. Valid input is returned unchanged.
std::string utf8_lossy(std::string_view bytes);

// Length of the longest prefix of bytes that does not end inside an incomplete (but so far
// well-formed) UTF-8 sequence: the part that is safe to emit while more bytes may follow.
size_t utf8_complete_prefix(std::string_view bytes);

}  // namespace t2::tokenizer
