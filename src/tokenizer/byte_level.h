// The byte-to-unicode alphabet of byte-level BPE (GPT-2, Llama 3): every byte value maps to one
// printable code point so that vocabularies can be stored as text. Printable Latin-1 bytes map to
// themselves; the others (controls, space, soft hyphen ...) map to U+0100 upwards in byte order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace t2::tokenizer {

// Code point that stands for byte b.
uint32_t byte_to_char(uint8_t b);

// Byte that code point cp stands for, or -1 when cp is not in the alphabet.
int char_to_byte(uint32_t cp);

// Maps alphabet text back to raw bytes; nullopt when a character is outside the alphabet or the
// text is not valid UTF-8.
std::optional<std::string> alphabet_to_bytes(std::string_view text);

}  // namespace t2::tokenizer
