// Implementation of the reference's MATH extraction and is_equiv; names follow the reference's
// functions so that each step can be checked against its description in
// ../shared/fixtures/reference_scoring/SOURCES.md.
#include "tasks/reference/math_reference.h"

#include <cmath>
#include <vector>

#include "tasks/reference/python_text.h"
#include "tasks/reference/sympy_expr.h"
#include "tasks/text.h"  // replace_all, replace_each, hendrycks_latex_cleanup

namespace t2::tasks::reference {
namespace {

struct AssertionFailed {};  // caught by is_equiv, which then compares the raw strings

enum class Tri { no, yes, undetermined };

std::vector<std::string> py_split(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  size_t start = 0, pos;
  while ((pos = s.find(sep, start)) != std::string_view::npos) {
    out.emplace_back(s.substr(start, pos - start));
    start = pos + sep.size();
  }
  out.emplace_back(s.substr(start));
  return out;
}

// The first code point of s as text, and the rest (s[0], s[1:]); s must not be empty.
std::pair<std::string, std::string> head(const std::string& s) {
  const auto cps = code_points(s);
  return {s.substr(0, cps[0].len), s.substr(cps[0].len)};
}

std::string fix_fracs(const std::string& string) {
  const auto substrs = py_split(string, "\\frac");
  std::string new_str = substrs[0];
  for (size_t k = 1; k < substrs.size(); ++k) {
    const std::string& substr = substrs[k];
    new_str += "\\frac";
    if (substr.empty()) throw ReferenceRaises{"IndexError: string index out of range (in _fix_fracs)"};
    if (substr[0] == '{') {
      new_str += substr;
      continue;
    }
    if (py_len(substr) < 2) return string;
    const auto [a, rest] = head(substr);
    const auto [b, post] = head(rest);
    if (b != "{") new_str += "{" + a + "}{" + b + "}" + post;
    else new_str += "{" + a + "}" + b + post;
  }
  return new_str;
}

// A decimal integer exactly as Python's str(int) writes it (what the assert in _fix_a_slash_b
// accepts); Python 3.11 refuses int() of more than 4300 digits.
bool canonical_int(const std::string& s) {
  const size_t start = !s.empty() && s[0] == '-' ? 1 : 0;
  if (start == s.size() || s.size() - start > 4300) return false;
  for (size_t i = start; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  if (s[start] == '0' && s.size() - start > 1) return false;
  return !(start == 1 && s == "-0");
}

std::string fix_a_slash_b(const std::string& string) {
  const auto parts = py_split(string, "/");
  if (parts.size() != 2 || !canonical_int(parts[0]) || !canonical_int(parts[1])) return string;
  return "\\frac{" + parts[0] + "}{" + parts[1] + "}";
}

std::string remove_right_units(const std::string& string) {
  if (string.find("\\text{ ") == std::string::npos) return string;
  const auto splits = py_split(string, "\\text{ ");
  if (splits.size() != 2) throw AssertionFailed{};
  return splits[0];
}

std::string fix_sqrt(const std::string& string) {
  if (string.find("\\sqrt") == std::string::npos) return string;
  const auto splits = py_split(string, "\\sqrt");
  std::string new_string = splits[0];
  for (size_t k = 1; k < splits.size(); ++k) {
    const std::string& split = splits[k];
    if (split.empty()) throw ReferenceRaises{"IndexError: string index out of range (in _fix_sqrt)"};
    if (split[0] != '{') {
      const auto [a, rest] = head(split);
      new_string += "\\sqrt{" + a + "}" + rest;
    } else {
      new_string += "\\sqrt" + split;
    }
  }
  return new_string;
}

bool is_digit(const std::string& s) { return py_float(replace_all(s, ",", "")).has_value(); }

bool starts(const std::string& s, char c) { return !s.empty() && s.front() == c; }
bool ends(const std::string& s, char c) { return !s.empty() && s.back() == c; }

std::string drop_braces(std::string s) {
  for (const char* c : {"{", "}", "(", ")"}) s = replace_all(s, c, "");
  return s;
}

// math_equal(prediction, reference); the reference calls it with the gold as `prediction`.
Tri math_equal(const std::string& prediction_in, const std::string& reference_in, std::string& why) {
  if (is_digit(prediction_in) && is_digit(reference_in)) {
    const double p = *py_float(replace_all(prediction_in, ",", ""));
    const double r = *py_float(replace_all(reference_in, ",", ""));
    for (double item : {r / 100, r, r * 100})
      if (py_isclose(item, p, 1e-4)) return Tri::yes;
    return Tri::no;
  }
  if (prediction_in.empty()) return Tri::no;
  const std::string reference = py_strip(reference_in), prediction = py_strip(prediction_in);
  std::string pred_str = prediction, ref_str = reference;
  if ((starts(prediction, '[') && ends(prediction, ']') && !starts(reference, '(')) ||
      (starts(prediction, '(') && ends(prediction, ')') && !starts(reference, '['))) {
    pred_str = py_strip_chars(pred_str, "[]()");
    ref_str = py_strip_chars(ref_str, "[]()");
  }
  if (drop_braces(pred_str) == drop_braces(ref_str)) return Tri::yes;
  Tri tuple = Tri::no;
  if ((starts(prediction, '[') && ends(prediction, ']') && starts(reference, '[') && ends(reference, ']')) ||
      (starts(prediction, '(') && ends(prediction, ')') && starts(reference, '(') && ends(reference, ')'))) {
    const auto pp = py_split(std::string_view(prediction).substr(1, prediction.size() - 2), ",");
    const auto rp = py_split(std::string_view(reference).substr(1, reference.size() - 2), ",");
    if (pp.size() == rp.size() && prediction.size() >= 2 && reference.size() >= 2) {
      bool any_no = false, any_unknown = false;
      for (size_t i = 0; i < pp.size(); ++i) {  // all([...]) evaluates every element
        const Tri t = math_equal(pp[i], rp[i], why);
        any_no = any_no || t == Tri::no;
        any_unknown = any_unknown || t == Tri::undetermined;
      }
      if (!any_no) {
        if (!any_unknown) return Tri::yes;
        tuple = Tri::undetermined;
      }
    }
  }
  const SymbolicVerdict s = sympy_symbolic_equal(prediction, reference);
  if (s.outcome == SymbolicVerdict::Outcome::equal) return Tri::yes;
  if (s.outcome == SymbolicVerdict::Outcome::undetermined) {
    why = s.why;
    return Tri::undetermined;
  }
  return tuple;
}

}  // namespace

std::optional<std::string> math_last_boxed(std::string_view string) {
  size_t idx = string.rfind("\\boxed");
  if (idx == std::string_view::npos) {
    idx = string.rfind("\\fbox");
    if (idx == std::string_view::npos) return std::nullopt;
  }
  int open = 0;
  size_t right = std::string_view::npos;
  for (size_t i = idx; i < string.size(); ++i) {
    if (string[i] == '{') ++open;
    if (string[i] == '}' && --open == 0) {
      right = i;
      break;
    }
  }
  if (right == std::string_view::npos) return std::nullopt;
  const std::string_view s = string.substr(idx, right + 1 - idx);  // last_boxed_only_string
  const std::string_view left = "\\boxed{";                         // remove_boxed
  if (s.substr(0, left.size()) != left || s.back() != '}') return std::nullopt;
  return std::string(s.substr(left.size(), s.size() - left.size() - 1));
}

std::optional<std::string> math_extract(std::string_view completion) {
  const std::string_view marker = "The answer is: ";
  const size_t at = completion.rfind(marker);
  if (at == std::string_view::npos) return math_last_boxed(completion);
  std::string_view ans = completion.substr(at + marker.size());
  const size_t cut = ans.find(".\n");
  if (cut != std::string_view::npos) ans = ans.substr(0, cut);
  std::string t = py_strip(ans);
  if (!t.empty() && t.back() == '.') t.pop_back();
  return py_strip(t);
}

std::string math_strip_string(std::string_view answer) {
  std::string s = hendrycks_latex_cleanup(std::string(answer));
  s = remove_right_units(s);
  s = replace_each(s, {{"\\\\%", ""}, {"\\%", ""}, {" .", " 0."}, {"{.", "{0."}});
  if (s.empty()) return s;
  if (s[0] == '.') s = "0" + s;
  const auto eq = py_split(s, "=");
  if (eq.size() == 2 && py_len(eq[0]) <= 2) s = eq[1];
  s = fix_sqrt(s);
  s = replace_all(s, " ", "");
  s = fix_fracs(s);
  if (s == "0.5") s = "\\frac{1}{2}";
  return fix_a_slash_b(s);
}

MathVerdict math_is_equiv(const std::optional<std::string>& gold, const std::optional<std::string>& prediction) {
  using O = MathVerdict::Outcome;
  if (!gold && !prediction) return {O::correct, {}};
  if (!gold || !prediction) return {O::wrong, {}};
  std::string why;
  auto verdict = [&](Tri equal, bool same) -> MathVerdict {
    if (equal == Tri::yes || same) return {O::correct, {}};
    if (equal == Tri::undetermined) return {O::undetermined, why};
    return {O::wrong, {}};
  };
  try {
    std::string ss1, ss2;
    try {
      ss1 = math_strip_string(*gold);
      ss2 = math_strip_string(*prediction);
    } catch (const AssertionFailed&) {
      return verdict(math_equal(*gold, *prediction, why), *gold == *prediction);
    }
    return verdict(math_equal(ss1, ss2, why), ss1 == ss2);
  } catch (const ReferenceRaises& r) {
    return {O::raises, r.what};
  }
}

}  // namespace t2::tasks::reference
