// Pure string helpers shared by the clean extractors: trimming, UTF-8 validation, \boxed{}
// extraction with balanced braces, number scanning and code-fence cutting. (The reference scorer's
// own rules live in reference/.)
// Everything is a pure function of its input; thread-safe.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/text.h"  // replace_all

namespace t2::tasks {

std::string trim(std::string_view s);
std::string to_lower(std::string_view s);
// replace_all (base/text.h) with each (from, to) rule in turn.
using Replacements = std::initializer_list<std::pair<std::string_view, std::string_view>>;
std::string replace_each(std::string s, Replacements rules);
// The first rules of the Hendrycks MATH answer normaliser (strip_string): line breaks, "\!",
// doubled backslashes, "\left"/"\right", degree signs and "\$" removed; tfrac/dfrac become frac.
std::string hendrycks_latex_cleanup(std::string s);
bool is_valid_utf8(std::string_view s);

// Contents of every \boxed{...} / \fbox{...} (balanced braces; "\boxed 5" takes the next token),
// in order of appearance. Unbalanced trailing boxes are ignored.
std::vector<std::string> boxed_contents(std::string_view text);
std::optional<std::string> last_boxed(std::string_view text);
std::optional<std::string> first_boxed(std::string_view text);

// A number found in text: its digits as written and its value.
struct FoundNumber {
  std::string text;
  double value = 0;
};
// Clean: optional sign (a '-' or '+' not preceded by a letter or digit), digits with optional
// thousands separators (1,234,567), optional decimals; a sentence-ending '.' is not a decimal point.
std::vector<FoundNumber> find_numbers(std::string_view text);

// Code from a completion written after a "```python\n" pre-fill: everything before the first
// closing fence. clean additionally drops a leading repeated opening fence line ("```python").
std::string cut_at_fence(std::string_view completion, bool clean);

}  // namespace t2::tasks
