// Implementation of the string helpers used by the extractors.
#include "tasks/text.h"

#include <cctype>
#include <cstdlib>

namespace t2::tasks {

std::string trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string replace_each(std::string s, Replacements rules) {
  for (const auto& [from, to] : rules) s = replace_all(s, from, to);
  return s;
}

std::string hendrycks_latex_cleanup(std::string s) {
  return replace_each(std::move(s), {{"\n", ""}, {"\\!", ""}, {"\\\\", "\\"}, {"tfrac", "frac"},
                                     {"dfrac", "frac"}, {"\\left", ""}, {"\\right", ""},
                                     {"^{\\circ}", ""}, {"^\\circ", ""}, {"\\$", ""}});
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::vector<std::string> boxed_contents(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t a = text.find("\\boxed", pos);
    size_t b = text.find("\\fbox", pos);
    size_t at = std::min(a, b);
    if (at == std::string_view::npos) break;
    const size_t name_end = at + (at == a ? 6 : 5);
    size_t i = name_end;
    while (i < text.size() && text[i] == ' ') ++i;
    if (i < text.size() && text[i] == '{') {
      int depth = 0;
      size_t j = i;
      for (; j < text.size(); ++j) {
        if (text[j] == '{') ++depth;
        if (text[j] == '}' && --depth == 0) break;
      }
      if (j >= text.size()) break;  // unbalanced: nothing more to find
      out.emplace_back(text.substr(i + 1, j - i - 1));
      pos = j + 1;
    } else if (i > name_end && i < text.size()) {
      // "\boxed 5": the token after the space, up to whitespace or '$'.
      size_t j = i;
      while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) && text[j] != '$')
        ++j;
      if (j > i) out.emplace_back(text.substr(i, j - i));
      pos = j;
    } else {
      pos = i;
    }
  }
  return out;
}

std::optional<std::string> last_boxed(std::string_view text) {
  auto all = boxed_contents(text);
  if (all.empty()) return std::nullopt;
  return all.back();
}

std::optional<std::string> first_boxed(std::string_view text) {
  auto all = boxed_contents(text);
  if (all.empty()) return std::nullopt;
  return all.front();
}

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
}  // namespace

std::vector<FoundNumber> find_numbers(std::string_view t) {
  std::vector<FoundNumber> out;
  size_t i = 0;
  while (i < t.size()) {
    if (!is_digit(t[i])) {
      ++i;
      continue;
    }
    if (i > 0 && (std::isalpha(static_cast<unsigned char>(t[i - 1])) || t[i - 1] == '_')) {
      while (i < t.size() && is_alnum(t[i])) ++i;  // part of an identifier such as x2
      continue;
    }
    size_t start = i;
    bool negative = false;
    if (start > 0 && (t[start - 1] == '-' || t[start - 1] == '+') &&
        (start < 2 || !is_alnum(t[start - 2]))) {
      negative = t[start - 1] == '-';
    }
    std::string digits;
    size_t j = i;
    while (j < t.size() && is_digit(t[j])) digits += t[j++];
    // thousands groups: ",ddd" not followed by another digit; only after 1-3 leading digits
    if (digits.size() <= 3) {
      while (j + 3 < t.size() && t[j] == ',' && is_digit(t[j + 1]) && is_digit(t[j + 2]) &&
             is_digit(t[j + 3]) && (j + 4 >= t.size() || !is_digit(t[j + 4]))) {
        digits += t.substr(j + 1, 3);
        j += 4;
      }
    }
    std::string frac;
    if (j + 1 < t.size() && t[j] == '.' && is_digit(t[j + 1])) {
      ++j;
      while (j < t.size() && is_digit(t[j])) frac += t[j++];
    }
    std::string text = (negative ? "-" : "") + digits + (frac.empty() ? "" : "." + frac);
    out.push_back({text, std::strtod(text.c_str(), nullptr)});
    i = j;
  }
  return out;
}

std::string cut_at_fence(std::string_view completion, bool clean) {
  std::string_view body = completion;
  if (clean) {
    // A model sometimes repeats the opening fence: drop a first line that is just ```lang.
    size_t first = body.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && body.substr(first, 3) == "```") {
      size_t nl = body.find('\n', first);
      std::string_view line = body.substr(first + 3, nl == std::string_view::npos ? std::string_view::npos : nl - first - 3);
      bool lang_only = true;
      for (char c : line) lang_only = lang_only && (is_alnum(c) || c == '\r' || c == ' ');
      if (lang_only) body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    }
  }
  const size_t fence = body.find("```");
  return std::string(fence == std::string_view::npos ? body : body.substr(0, fence));
}

}  // namespace t2::tasks
