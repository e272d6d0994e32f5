// Implementation of the reference's GSM8K extraction (Python re.findall semantics over code
// points) and comparison (int == float, exact).
#include "tasks/reference/gsm8k_reference.h"

#include <cmath>

#include "tasks/reference/python_text.h"

namespace t2::tasks::reference {

std::optional<Gsm8kNumber> gsm8k_extract_number(std::string_view text) {
  const auto cps = code_points(text);
  auto digit = [&](size_t k) { return k < cps.size() && py_decimal(cps[k].value) >= 0; };
  std::optional<std::pair<size_t, size_t>> last;  // [first, end) code point indices
  size_t i = 0;
  while (i < cps.size()) {
    // Leftmost match at i of \d*\.?\d+ with backtracking: digits then ".digits", else the digits.
    size_t j = i;
    while (digit(j)) ++j;
    size_t end = j;
    if (j < cps.size() && cps[j].value == '.' && digit(j + 1)) {
      end = j + 1;
      while (digit(end)) ++end;
    }
    if (end > i) {
      last = {{i, end}};
      i = end;
    } else {
      ++i;
    }
  }
  if (!last) return std::nullopt;
  Gsm8kNumber n;
  const size_t b = cps[last->first].pos, e = cps[last->second - 1].pos + cps[last->second - 1].len;
  n.text = std::string(text.substr(b, e - b));
  n.value = *py_float(n.text);
  return n;
}

Gsm8kVerdict gsm8k_reference_verdict(std::string_view answer_field, std::string_view completion) {
  Gsm8kVerdict v;
  v.prediction = gsm8k_extract_number(completion);
  const auto gold = gsm8k_extract_number(answer_field);
  if (!gold) {
    v.error = "the reference raises TypeError building this record's gold: its answer field holds no number";
    return v;
  }
  if (std::isinf(gold->value)) {
    v.error = "the reference raises OverflowError building this record's gold (int of an infinite float)";
    return v;
  }
  // int(gold) == prediction, compared exactly: the truncated double is that integer.
  v.correct = v.prediction && std::trunc(gold->value) == v.prediction->value;
  return v;
}

}  // namespace t2::tasks::reference
