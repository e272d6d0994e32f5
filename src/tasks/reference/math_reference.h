// The reference scorer's MATH verdict, reproduced step by step: extraction (the text after the
// last "The answer is: " cut at ".\n", else the last \boxed{}), the gold taken from the solution's
// last \boxed{}, and is_equiv(gold, prediction): the Hendrycks string normalisation, then a
// numeric comparison (1e-4 relative, also against prediction/100 and prediction*100, because the
// reference passes the gold where math_equal expects the prediction), bracket and tuple rules, and
// sympy's symbolic_equal (sympy_expr.h). Inputs on which the reference raises an uncaught
// IndexError are reported as such, not given a verdict. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace t2::tasks::reference {

// extract_ans: nullopt where the reference's prediction is None.
std::optional<std::string> math_extract(std::string_view completion);

// remove_boxed(last_boxed_only_string(text)): the gold of a solution; nullopt for None.
std::optional<std::string> math_last_boxed(std::string_view text);

// The string normalisation (_strip_string). Throws ReferenceRaises where the reference raises.
std::string math_strip_string(std::string_view answer);

struct MathVerdict {
  enum class Outcome { correct, wrong, raises, undetermined } outcome;
  std::string detail;  // raises: the exception and where; undetermined: the construct not reproduced
};

// is_equiv(gold, prediction), as the reference calls it.
MathVerdict math_is_equiv(const std::optional<std::string>& gold, const std::optional<std::string>& prediction);

// Where the reference raises an exception that is not caught (its evaluation would stop).
struct ReferenceRaises {
  std::string what;
};

}  // namespace t2::tasks::reference
