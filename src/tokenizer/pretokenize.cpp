// Scanners for the Llama-3 and GPT-2 split patterns; see pretokenize.h. Both work on a decoded
// code point array so that look-ahead and backtracking are index arithmetic.
#include "tokenizer/pretokenize.h"

#include <string>

#include "tokenizer/unicode.h"

namespace t2::tokenizer {
namespace {

struct Decoded {
  std::vector<uint32_t> cp;    // [n] code points
  std::vector<uint8_t> cls;    // [n] class bits
  std::vector<uint32_t> off;   // [n + 1] byte offset of each code point, then the text size
};

void decode_text(std::string_view text, Decoded* d) {
  d->cp.clear();
  d->cls.clear();
  d->off.clear();
  uint32_t c = 0;
  for (size_t i = 0; i < text.size();) {
    size_t len = utf8_decode(text, i, &c);
    if (len == 0) {  // callers validate first; treat a stray byte as a lone symbol
      c = 0xFFFD;
      len = 1;
    }
    d->cp.push_back(c);
    d->cls.push_back(char_class(c));
    d->off.push_back(static_cast<uint32_t>(i));
    i += len;
  }
  d->off.push_back(static_cast<uint32_t>(text.size()));
}

// Case folding limited to the letters of the contraction alternatives: ASCII upper case and
// U+017F LATIN SMALL LETTER LONG S, which Unicode folds to 's'.
uint32_t fold(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c == 0x17F) return 's';
  return c;
}

// Length (in code points) of a contraction at i, or 0.
size_t contraction(const Decoded& d, size_t i, bool ignore_case) {
  const size_t n = d.cp.size();
  if (d.cp[i] != '\'' || i + 1 >= n) return 0;
  auto at = [&](size_t k) { return ignore_case ? fold(d.cp[k]) : d.cp[k]; };
  const uint32_t a = at(i + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 < n) {
    const uint32_t b = at(i + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  }
  return 0;
}

// Whitespace alternatives shared by both patterns, for d.cp[i] in \s. with_newline_rule adds
// Llama 3's \s*[\r\n]+ before \s+(?!\S)|\s+. Returns the end index.
size_t whitespace_end(const Decoded& d, size_t i, bool with_newline_rule) {
  const size_t n = d.cp.size();
  size_t r = i;
  while (r < n && (d.cls[r] & kClassSpace)) ++r;
  if (with_newline_rule) {
    for (size_t m = r; m > i; --m) {
      const uint32_t c = d.cp[m - 1];
      if (c == '\r' || c == '\n') return m;  // \s* backtracks to the last line break
    }
  }
  if (r == n) return r;          // \s+(?!\S) at the end of the text
  if (r - i >= 2) return r - 1;  // \s+(?!\S) leaves the last space for the next piece
  return r;                      // \s+
}

bool is_other(uint8_t cls) { return (cls & (kClassLetter | kClassNumber | kClassSpace)) == 0; }

size_t llama3_next(const Decoded& d, size_t i) {
  const size_t n = d.cp.size();
  auto is_rn = [&](size_t k) { return d.cp[k] == '\r' || d.cp[k] == '\n'; };
  auto letter = [&](size_t k) { return k < n && (d.cls[k] & kClassLetter); };
  if (size_t len = contraction(d, i, /*ignore_case=*/true)) return i + len;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  size_t j = i;
  if (!letter(i) && !is_rn(i) && !(d.cls[i] & kClassNumber) && letter(i + 1)) j = i + 1;
  if (letter(j)) {
    while (letter(j)) ++j;
    return j;
  }
  // \p{N}{1,3}
  if (d.cls[i] & kClassNumber) {
    j = i + 1;
    while (j < n && j < i + 3 && (d.cls[j] & kClassNumber)) ++j;
    return j;
  }
  // ' '?[^\s\p{L}\p{N}]+[\r\n]*
  j = (d.cp[i] == ' ' && i + 1 < n && is_other(d.cls[i + 1])) ? i + 1 : i;
  if (is_other(d.cls[j])) {
    while (j < n && is_other(d.cls[j])) ++j;
    while (j < n && is_rn(j)) ++j;
    return j;
  }
  if (d.cls[i] & kClassSpace) return whitespace_end(d, i, /*with_newline_rule=*/true);
  return i + 1;  // unreachable: every code point is L, N, \s or other
}

size_t gpt2_next(const Decoded& d, size_t i) {
  const size_t n = d.cp.size();
  if (size_t len = contraction(d, i, /*ignore_case=*/false)) return i + len;
  // ' '?\p{L}+ | ' '?\p{N}+ | ' '?[^\s\p{L}\p{N}]+
  const size_t k = (d.cp[i] == ' ' && i + 1 < n) ? i + 1 : i;
  for (size_t start : {k, i}) {
    const uint8_t c = d.cls[start];
    auto same = [&](size_t m) {
      if (c & kClassLetter) return (d.cls[m] & kClassLetter) != 0;
      if (c & kClassNumber) return (d.cls[m] & kClassNumber) != 0;
      return is_other(d.cls[m]);
    };
    if ((c & kClassSpace) && !(c & (kClassLetter | kClassNumber))) continue;
    size_t j = start + 1;
    while (j < n && same(j)) ++j;
    return j;
  }
  return whitespace_end(d, i, /*with_newline_rule=*/false);
}

}  // namespace

std::string_view split_pattern_regex(SplitPattern p) {
  switch (p) {
    case SplitPattern::llama3:
      return "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
             "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    case SplitPattern::gpt2:
      return "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    case SplitPattern::smollm:
      return "";
  }
  return {};
}

void split_text(std::string_view text, SplitPattern p,
                std::vector<std::pair<uint32_t, uint32_t>>* pieces) {
  thread_local Decoded d;
  decode_text(text, &d);
  const size_t n = d.cp.size();
  if (p == SplitPattern::smollm) {
    // Each number alone; the runs between numbers split with the GPT-2 pattern as if each were
    // a text of its own (the look-ahead of \s+(?!\S) ends at the number).
    thread_local Decoded run;
    for (size_t i = 0; i < n;) {
      if (d.cls[i] & kClassNumber) {
        pieces->emplace_back(d.off[i], d.off[i + 1]);
        ++i;
        continue;
      }
      size_t j = i;
      while (j < n && !(d.cls[j] & kClassNumber)) ++j;
      const uint32_t base = d.off[i];
      decode_text(text.substr(base, d.off[j] - base), &run);
      for (size_t a = 0; a < run.cp.size();) {
        const size_t b = gpt2_next(run, a);
        pieces->emplace_back(base + run.off[a], base + run.off[b]);
        a = b;
      }
      i = j;
    }
    return;
  }
  for (size_t i = 0; i < n;) {
    const size_t j = p == SplitPattern::llama3 ? llama3_next(d, i) : gpt2_next(d, i);
    pieces->emplace_back(d.off[i], d.off[j]);
    i = j;
  }
}

}  // namespace t2::tokenizer
