// The reference scorer's last MATH equivalence step, `symbolic_equal(a, b)`, as it runs in the
// reference's pinned environment: `parse_latex` is unavailable there (sympy >= 1.12 refuses the
// pinned antlr4 4.9.3), so each side goes through sympy's `parse_expr` (Python syntax: `^` is XOR,
// `3!` a factorial, unknown names become Symbols); the sides are equal when `simplify(a - b) == 0`
// or when `N(a)` and `N(b)` are within 1e-3 relative (`N` re-parses a side that failed to parse,
// then with `^` as power and decimals as exact fractions).
//
// What is reproduced: numbers (exact integers and fractions, floats, pi, E, oo, sqrt/exp/log/sin/
// cos/tan, factorials), the integer bit operations, floor division and modulo, and polynomials and
// rational functions of symbols (equal when their difference is identically zero); tuples, lists,
// sets and dicts (never equal); every syntax error. Anything else (complex numbers, undefined
// functions, comparisons, strings, sympy functions without a rule here, integers past 2**127 where
// exactness matters, a result that may be an exact zero sympy finds symbolically) is reported as
// undetermined with the reason, never guessed. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace t2::tasks::reference {

struct SymbolicVerdict {
  enum class Outcome { equal, not_equal, undetermined } outcome;
  std::string why;  // for undetermined: the construct that is not reproduced
};

// symbolic_equal(a, b) of the reference (a: its first argument).
SymbolicVerdict sympy_symbolic_equal(std::string_view a, std::string_view b);

}  // namespace t2::tasks::reference
