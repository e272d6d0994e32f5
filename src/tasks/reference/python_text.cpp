// Implementation of the Python str semantics over the generated tables.
#include "tasks/reference/python_text.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "tasks/reference/python_tables.h"

namespace t2::tasks::reference {
namespace {

bool in_ranges(const CodeRange* r, size_t n, char32_t c) {
  const CodeRange* end = r + n;
  const CodeRange* it = std::upper_bound(r, end, c, [](char32_t v, const CodeRange& x) { return v < x.lo; });
  return it != r && c <= (it - 1)->hi;
}

// Decodes one code point at i; an invalid sequence yields one byte as U+110000 + byte (no class).
CodePoint decode_at(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  char32_t cp = 0;
  if (c < 0x80) return {c, i, 1};
  if ((c & 0xE0) == 0xC0) n = 1, cp = c & 0x1F;
  else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0F;
  else if ((c & 0xF8) == 0xF0) n = 3, cp = c & 0x07;
  else return {0x110000u + c, i, 1};
  for (size_t k = 1; k <= n; ++k) {
    if (i + k >= s.size()) return {0x110000u + c, i, 1};
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return {0x110000u + c, i, 1};
    cp = (cp << 6) | (d & 0x3F);
  }
  if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return {0x110000u + c, i, 1};
  return {cp, i, n + 1};
}

}  // namespace

std::vector<CodePoint> code_points(std::string_view text) {
  std::vector<CodePoint> out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    out.push_back(decode_at(text, i));
    i += out.back().len;
  }
  return out;
}

bool py_is_word(char32_t c) { return in_ranges(kWordRanges, kWordRangeCount, c); }
bool py_is_space(char32_t c) { return in_ranges(kSpaceRanges, kSpaceRangeCount, c); }

int py_decimal(char32_t c) {
  const DigitRange* r = kDigitRanges;
  const DigitRange* end = r + kDigitRangeCount;
  const DigitRange* it = std::upper_bound(r, end, c, [](char32_t v, const DigitRange& x) { return v < x.lo; });
  if (it == r || c > (it - 1)->hi) return -1;
  return (it - 1)->value + static_cast<int>(c - (it - 1)->lo);
}

size_t py_len(std::string_view text) { return code_points(text).size(); }

std::string py_strip(std::string_view text) {
  const auto cps = code_points(text);
  size_t b = 0, e = cps.size();
  while (b < e && py_is_space(cps[b].value)) ++b;
  while (e > b && py_is_space(cps[e - 1].value)) --e;
  if (b == e) return "";
  return std::string(text.substr(cps[b].pos, cps[e - 1].pos + cps[e - 1].len - cps[b].pos));
}

std::string py_strip_chars(std::string_view text, std::string_view chars) {
  size_t b = 0, e = text.size();
  while (b < e && chars.find(text[b]) != std::string_view::npos) ++b;
  while (e > b && chars.find(text[e - 1]) != std::string_view::npos) --e;
  return std::string(text.substr(b, e - b));
}

std::optional<double> py_float(std::string_view text) {
  // As CPython: decimal digits of any script become ASCII, whitespace a space, other non-ASCII
  // characters make the text invalid; then surrounding whitespace is dropped.
  std::string ascii;
  for (const CodePoint& c : code_points(text)) {
    if (c.value < 0x80) ascii += static_cast<char>(c.value);
    else if (py_decimal(c.value) >= 0) ascii += static_cast<char>('0' + py_decimal(c.value));
    else if (py_is_space(c.value)) ascii += ' ';
    else return std::nullopt;
  }
  const char* ws = " \t\n\r\v\f";
  const size_t b = ascii.find_first_not_of(ws);
  if (b == std::string::npos) return std::nullopt;
  const std::string s = ascii.substr(b, ascii.find_last_not_of(ws) - b + 1);
  size_t i = 0;
  std::string clean;
  if (s[i] == '+' || s[i] == '-') clean += s[i++];
  std::string rest = s.substr(i);
  std::string lower = rest;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower == "inf" || lower == "infinity" || lower == "nan") {
    const double v = lower == "nan" ? std::nan("") : HUGE_VAL;
    return clean == "-" ? -v : v;
  }
  // digits [. digits] [e [sign] digits], '_' only between two digits, at least one mantissa digit.
  auto digits = [&](bool& any) {
    bool prev_digit = false;
    while (i < s.size()) {
      if (std::isdigit(static_cast<unsigned char>(s[i]))) {
        clean += s[i++];
        prev_digit = any = true;
      } else if (s[i] == '_' && prev_digit && i + 1 < s.size() &&
                 std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
        ++i;
        prev_digit = false;
      } else {
        break;
      }
    }
  };
  bool int_digits = false, frac_digits = false;
  digits(int_digits);
  if (i < s.size() && s[i] == '.') {
    clean += s[i++];
    digits(frac_digits);
  }
  if (!int_digits && !frac_digits) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    clean += s[i++];
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean += s[i++];
    bool exp_digits = false;
    digits(exp_digits);
    if (!exp_digits) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return std::strtod(clean.c_str(), nullptr);  // correctly rounded, as Python's
}

bool py_isclose(double a, double b, double rel_tol) {
  if (a == b) return true;
  if (std::isinf(a) || std::isinf(b)) return false;
  const double diff = std::fabs(b - a);
  return diff <= std::fabs(rel_tol * b) || diff <= std::fabs(rel_tol * a);
}

bool sympy_reserved_name(std::string_view name) {
  const char* const* b = kSympyReservedNames;
  const char* const* e = b + kSympyReservedNameCount;
  const char* const* it = std::lower_bound(b, e, name, [](const char* x, std::string_view v) {
    return std::string_view(x) < v;
  });
  return it != e && std::string_view(*it) == name;
}

}  // namespace t2::tasks::reference
