// Implementation of the reference's three ARC regexes over code points (Python re semantics:
// \b and \s are Unicode-aware, '.' stops at a newline) and its seeded guess.
#include "tasks/reference/arc_reference.h"

#include <vector>

#include "tasks/reference/python_random.h"
#include "tasks/reference/python_text.h"

namespace t2::tasks::reference {
namespace {

bool capital(char32_t c) { return c >= 'A' && c <= 'J'; }

bool matches_at(const std::vector<CodePoint>& cps, size_t i, std::u32string_view lit) {
  if (i + lit.size() > cps.size()) return false;
  for (size_t k = 0; k < lit.size(); ++k)
    if (cps[i + k].value != lit[k]) return false;
  return true;
}

// r"answer is \(?([A-J])\)?" with re.search.
std::optional<char32_t> answer_is(const std::vector<CodePoint>& cps) {
  for (size_t i = 0; i < cps.size(); ++i) {
    if (!matches_at(cps, i, U"answer is ")) continue;
    const size_t j = i + 10;
    if (j < cps.size() && capital(cps[j].value)) return cps[j].value;
    if (j + 1 < cps.size() && cps[j].value == '(' && capital(cps[j + 1].value)) return cps[j + 1].value;
  }
  return std::nullopt;
}

// r".*[aA]nswer:\s*([A-J])": the first line with a match start, the rightmost start on it.
std::optional<char32_t> answer_colon(const std::vector<CodePoint>& cps) {
  std::optional<char32_t> found;
  for (size_t i = 0; i < cps.size(); ++i) {
    if (cps[i].value == '\n') {
      if (found) return found;
      continue;
    }
    if ((cps[i].value != 'a' && cps[i].value != 'A') || !matches_at(cps, i + 1, U"nswer:")) continue;
    size_t j = i + 7;
    while (j < cps.size() && py_is_space(cps[j].value)) ++j;
    if (j < cps.size() && capital(cps[j].value)) found = cps[j].value;
  }
  return found;
}

// r"\b[A-J]\b(?!.*\b[A-J]\b)" with DOTALL: the last standalone capital.
std::optional<char32_t> last_standalone(const std::vector<CodePoint>& cps) {
  for (size_t i = cps.size(); i-- > 0;) {
    if (!capital(cps[i].value)) continue;
    const bool left = i == 0 || !py_is_word(cps[i - 1].value);
    const bool right = i + 1 == cps.size() || !py_is_word(cps[i + 1].value);
    if (left && right) return cps[i].value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> arc_extract(std::string_view completion) {
  const auto cps = code_points(completion);
  auto letter = answer_is(cps);
  if (!letter) letter = answer_colon(cps);
  if (!letter) letter = last_standalone(cps);
  if (!letter) return std::nullopt;
  return std::string(1, static_cast<char>(*letter));
}

ArcVerdict arc_reference_verdict(std::string_view completion, const std::string& answer_key, size_t n_options) {
  ArcVerdict v;
  v.prediction = arc_extract(completion);
  if (v.prediction && !v.prediction->empty()) {
    v.correct = *v.prediction == answer_key;
    return v;
  }
  v.guessed = true;
  if (n_options == 0) {
    v.error = "the reference raises ValueError guessing among 0 options";
    return v;
  }
  PythonRandom rng(42);
  const int64_t x = rng.randint(0, static_cast<int64_t>(n_options) - 1);
  if (x >= 5) {
    v.error = "the reference raises IndexError: its guess picks option index " + std::to_string(x) +
              " of the letters A-E";
    return v;
  }
  v.correct = std::string(1, static_cast<char>('A' + x)) == answer_key;
  return v;
}

}  // namespace t2::tasks::reference
