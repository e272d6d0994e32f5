// Equivalence of MATH answers: string normalisation of LaTeX answers, then numeric equality within
// a relative tolerance for answers that evaluate to numbers (fractions, roots, pi, decimals), then
// element-wise comparison of tuples and intervals. No symbolic algebra: expressions with free
// variables compare by their normalised strings only. This is the clean rule; the reference
// scorer's own equivalence is in reference/math_reference.h. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace t2::tasks {

// The clean normal form: spaces, \left/\right, \dfrac/\tfrac, \text{} units, ^\circ, \$, \%,
// trailing ".0", "x =" prefixes, \frac12 → \frac{1}{2}, a/b → \frac{a}{b}, 0.5 → \frac{1}{2}, ...
std::string normalize_math_answer(std::string_view answer);

// Value of a normalised answer that is a plain numeric expression (integers, decimals, \frac,
// \sqrt, \pi, + - * / ^, parentheses, implicit products such as 2\sqrt{3}); nullopt otherwise.
std::optional<double> evaluate_math_number(std::string_view normalized);

// Clean equivalence: normalised strings equal, or numbers equal within 1e-4 relative, or tuples /
// intervals with the same brackets whose elements are pairwise equivalent.
bool math_answers_equivalent(std::string_view prediction, std::string_view gold);

}  // namespace t2::tasks
