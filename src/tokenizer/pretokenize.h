// Pre-tokenizer split patterns as hand-written scanners. Each scanner is equivalent to the
// Oniguruma regex that Hugging Face's tokenizers runs for the pattern (leftmost alternative wins,
// greedy quantifiers with backtracking), so pieces match the reference byte for byte. Only the
// patterns listed in SplitPattern are supported; anything else is refused when a tokenizer loads.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace t2::tokenizer {

enum class SplitPattern {
  // Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
  //          ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  llama3,
  // GPT-2 (ByteLevel use_regex): 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|
  //          \s+(?!\S)|\s+
  gpt2,
  // SmolLM / StarCoder style: every \p{N} code point is a piece of its own, and the text between
  // them is split with the GPT-2 pattern (tokenizers: Digits(individual_digits) + ByteLevel;
  // llama.cpp: pre-tokenizer "smollm").
  smollm,
};

// The exact regex source of a pattern as it appears in tokenizer.json ("" for smollm, which is
// two pre-tokenizers there).
std::string_view split_pattern_regex(SplitPattern p);

// Splits valid UTF-8 text into consecutive pieces that cover it; appends [begin, end) byte
// offsets to pieces. Cost O(text size); not thread-safe only in that pieces is written.
void split_text(std::string_view text, SplitPattern p,
                std::vector<std::pair<uint32_t, uint32_t>>* pieces);

}  // namespace t2::tokenizer
