// Tables of the reference scorer's Python environment (Python 3.11.7 / Unicode 14.0.0, sympy
// 1.13.3), generated into python_tables.cpp by tests/tasks/make_reference_tables.py. Sorted,
// non-overlapping code point ranges; read through python_text.h, not directly.
#pragma once

#include <cstddef>
#include <cstdint>

namespace t2::tasks::reference {

struct CodeRange {
  char32_t lo, hi;  // inclusive
};
struct DigitRange {
  char32_t lo, hi;  // inclusive; lo has decimal value `value`, each next code point one more
  int value;
};

extern const CodeRange kWordRanges[];    // str.isalnum() or '_' (re's \w)
extern const size_t kWordRangeCount;
extern const CodeRange kSpaceRanges[];   // str.isspace() (re's \s, str.strip())
extern const size_t kSpaceRangeCount;
extern const DigitRange kDigitRanges[];  // unicodedata.decimal() (re's \d, float(), int())
extern const size_t kDigitRangeCount;
// Names that sympy's parse_expr keeps as they are instead of making them Symbols, sorted.
extern const char* const kSympyReservedNames[];
extern const size_t kSympyReservedNameCount;

}  // namespace t2::tasks::reference
