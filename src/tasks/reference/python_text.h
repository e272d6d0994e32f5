// The pieces of Python's semantics that the reference scorer's verdicts depend on: code point
// iteration over UTF-8, Unicode character classes as `re` and str methods see them, str.strip(),
// len(), float() and math.isclose(). Pure functions of their input; thread-safe. Invalid UTF-8 bytes count as one
// code point each that belongs to no class.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace t2::tasks::reference {

struct CodePoint {
  char32_t value;
  size_t pos;  // byte offset in the text
  size_t len;  // bytes
};
std::vector<CodePoint> code_points(std::string_view text);

bool py_is_word(char32_t c);   // re's \w: str.isalnum() or '_'
bool py_is_space(char32_t c);  // str.isspace(), re's \s
int py_decimal(char32_t c);    // 0-9 for a decimal digit of any script (re's \d), else -1

size_t py_len(std::string_view text);                          // len(): code points
std::string py_strip(std::string_view text);                    // str.strip()
std::string py_strip_chars(std::string_view text, std::string_view ascii_chars);  // str.strip(chars)
// float(text): surrounding whitespace, sign, digits of any script, '_' between digits, '.', an
// exponent, inf/infinity/nan in any case; nullopt where Python raises ValueError.
std::optional<double> py_float(std::string_view text);

// math.isclose(a, b, rel_tol=rel_tol) (abs_tol 0).
bool py_isclose(double a, double b, double rel_tol);

// Python's `name in sympy namespace` test of parse_expr's auto_symbol (python_tables.h).
bool sympy_reserved_name(std::string_view name);

}  // namespace t2::tasks::reference
