// Implementation of MATH answer normalisation, the small numeric evaluator and equivalence.
#include "tasks/math_equiv.h"

#include <cctype>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "tasks/text.h"

namespace t2::tasks {
namespace {

// Index of the brace closing the one at `open`, or npos.
size_t matching_brace(const std::string& s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == '{') ++depth;
    if (s[i] == '}' && --depth == 0) return i;
  }
  return std::string::npos;
}

// Removes a trailing "\text{...}" / "\mbox{...}" (units such as "\text{ cm}") when something
// precedes it; a whole-answer \text{X} becomes X.
void strip_text_units(std::string& s) {
  for (const char* cmd : {"\\text{", "\\textbf{", "\\mbox{", "\\mathrm{"}) {
    const std::string c = cmd;
    if (s.rfind(c, 0) == 0) {
      size_t close = matching_brace(s, c.size() - 1);
      if (close == s.size() - 1) {
        s = s.substr(c.size(), s.size() - c.size() - 1);
        return;
      }
    }
    size_t at = s.rfind(c);
    if (at != std::string::npos && at > 0) {
      size_t close = matching_brace(s, at + c.size() - 1);
      if (close == s.size() - 1) {
        std::string inner = s.substr(at + c.size(), close - at - c.size());
        bool wordy = !inner.empty();
        for (char ch : inner) wordy = wordy && (std::isalpha(static_cast<unsigned char>(ch)) || ch == ' ' || ch == '^' || ch == '2' || ch == '3');
        if (wordy) s = s.substr(0, at);
      }
    }
  }
}

// \frac12 → \frac{1}{2}, \frac1{2} → \frac{1}{2}, \sqrt2 → \sqrt{2}.
std::string fix_shorthand(const std::string& s, const std::string& cmd, int n_args) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, cmd.size(), cmd) == 0 &&
        (i + cmd.size() >= s.size() || !std::isalpha(static_cast<unsigned char>(s[i + cmd.size()])))) {
      out += cmd;
      i += cmd.size();
      for (int a = 0; a < n_args && i < s.size(); ++a) {
        if (s[i] == '{') {
          size_t close = matching_brace(s, i);
          if (close == std::string::npos) break;
          out += s.substr(i, close - i + 1);
          i = close + 1;
        } else if (s[i] == '[' && cmd == "\\sqrt") {  // \sqrt[n]{x}: copy the index
          size_t close = s.find(']', i);
          if (close == std::string::npos) break;
          out += s.substr(i, close - i + 1);
          i = close + 1;
          --a;
        } else {
          out += '{';
          out += s[i++];
          out += '}';
        }
      }
      continue;
    }
    out += s[i++];
  }
  return out;
}

// -?d{1,3}(,ddd)+(.d+)?
bool has_thousands_commas(const std::string& s) {
  size_t i = s.empty() || s[0] != '-' ? 0 : 1;
  size_t lead = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++lead;
  if (lead < 1 || lead > 3 || i >= s.size() || s[i] != ',') return false;
  while (i < s.size() && s[i] == ',') {
    for (size_t k = 1; k <= 3; ++k)
      if (i + k >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i + k]))) return false;
    i += 4;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size()) return false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  }
  return i == s.size();
}

bool is_plain_integer(const std::string& s) {
  if (s.empty()) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

// The Hendrycks-style string rules that the clean normal form starts from.
std::string common_rules(std::string_view answer) {
  std::string s = hendrycks_latex_cleanup(trim(answer));
  strip_text_units(s);
  s = replace_each(s, {{"\\%", ""}, {"%", ""}, {" .", " 0."}, {"{.", "{0."}});
  if (!s.empty() && s[0] == '.') s = "0" + s;
  // "k = 5" → "5" when the left side is short (a variable name).
  size_t eq = s.find('=');
  if (eq != std::string::npos && s.find('=', eq + 1) == std::string::npos && eq <= 2) s = s.substr(eq + 1);
  s = fix_shorthand(s, "\\sqrt", 1);
  std::string no_space;
  for (char c : s)
    if (c != ' ') no_space += c;
  s = fix_shorthand(no_space, "\\frac", 2);
  if (s == "0.5") s = "\\frac{1}{2}";
  // a/b with integer parts → \frac{a}{b}
  size_t slash = s.find('/');
  if (slash != std::string::npos && s.find('/', slash + 1) == std::string::npos) {
    std::string a = s.substr(0, slash);
    std::string b = s.substr(slash + 1);
    if (is_plain_integer(a) && is_plain_integer(b)) s = "\\frac{" + a + "}{" + b + "}";
  }
  return s;
}

}  // namespace

std::string normalize_math_answer(std::string_view answer) {
  std::string s = trim(answer);
  // Dollar math delimiters and a trailing full stop are not part of an answer.
  while (!s.empty() && (s.back() == '.' || s.back() == '$')) s.pop_back();
  while (!s.empty() && s.front() == '$') s.erase(0, 1);
  s = replace_each(s, {{"\\,", ""}, {"\\;", ""}, {"\\:", ""}, {"\\ ", ""}, {"\\displaystyle", ""},
                       {"\\mathbf", "\\text"}});
  s = common_rules(s);
  // In order: \le becomes \leq and then \leqq \leq; a remaining \text{x} inside an expression {x}.
  s = replace_each(s, {{"\\cdot", "*"}, {"\\times", "*"}, {"\\le", "\\leq"}, {"\\leqq", "\\leq"},
                       {"\\ge", "\\geq"}, {"\\geqq", "\\geq"}, {"\\text{", "{"}});
  if (s.rfind("x\\in", 0) == 0) s = s.substr(4);
  // 1,000,000 → 1000000 (only when every comma starts a 3-digit group: not a tuple)
  if (has_thousands_commas(s)) s = replace_all(s, ",", "");
  // trailing zeros of a decimal: 5.0 → 5, 2.50 → 2.5
  if (s.find('.') != std::string::npos && evaluate_math_number(s) &&
      s.find_first_not_of("-0123456789.") == std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  // brace wrappers around the whole answer: {5} → 5
  while (s.size() >= 2 && s.front() == '{' && matching_brace(s, 0) == s.size() - 1) s = s.substr(1, s.size() - 2);
  return s;
}

namespace {

// Recursive-descent evaluator over the numeric LaTeX subset.
class Evaluator {
 public:
  explicit Evaluator(std::string_view s) : s_(s) {}
  std::optional<double> run() {
    auto v = expr();
    if (!v || pos_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;

  bool eat(std::string_view tok) {
    if (s_.substr(pos_, tok.size()) == tok) {
      pos_ += tok.size();
      return true;
    }
    return false;
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

  std::optional<double> expr() {
    if (++depth_ > 64) return std::nullopt;
    auto v = term();
    while (v) {
      const char op = eat("+") ? '+' : eat("-") ? '-' : '\0';
      if (!op) break;
      auto r = term();
      if (!r) return std::nullopt;
      *v = op == '+' ? *v + *r : *v - *r;
    }
    --depth_;
    return v;
  }
  std::optional<double> term() {
    auto v = unary();
    while (v) {
      // ' ': an implicit product such as 2\sqrt{3}, 3\pi, 2(1+x)
      const bool implicit = peek() == '\\' || peek() == '(' || peek() == '{' ||
                            std::isdigit(static_cast<unsigned char>(peek()));
      const char op = eat("*") ? '*' : eat("/") ? '/' : implicit ? ' ' : '\0';
      if (!op) break;
      auto r = op == ' ' ? power() : unary();
      if (!r) return std::nullopt;
      *v = op == '/' ? *v / *r : *v * *r;
    }
    return v;
  }
  std::optional<double> unary() {
    if (eat("-")) {
      auto v = unary();
      if (!v) return std::nullopt;
      return -*v;
    }
    if (eat("+")) return unary();
    return power();
  }
  std::optional<double> power() {
    auto base = primary();
    if (!base) return std::nullopt;
    if (eat("^")) {
      auto e = peek() == '{' ? group('{', '}') : primary_digit();
      if (!e) return std::nullopt;
      return std::pow(*base, *e);
    }
    return base;
  }
  std::optional<double> primary_digit() {
    if (std::isdigit(static_cast<unsigned char>(peek()))) return static_cast<double>(s_[pos_++] - '0');
    return primary();
  }
  std::optional<double> group(char open, char close) {
    if (!eat(std::string_view(&open, 1))) return std::nullopt;
    auto v = expr();
    if (!v || !eat(std::string_view(&close, 1))) return std::nullopt;
    return v;
  }
  std::optional<double> primary() {
    const char c = peek();
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      size_t b = pos_;
      while (std::isdigit(static_cast<unsigned char>(peek())) || peek() == '.') ++pos_;
      std::string num(s_.substr(b, pos_ - b));
      if (std::count(num.begin(), num.end(), '.') > 1) return std::nullopt;
      return std::strtod(num.c_str(), nullptr);
    }
    if (c == '(') return group('(', ')');
    if (c == '{') return group('{', '}');
    if (eat("\\frac")) {
      auto a = group('{', '}');
      auto b = a ? group('{', '}') : std::nullopt;
      if (!a || !b) return std::nullopt;
      return *a / *b;
    }
    if (eat("\\sqrt")) {
      double index = 2;
      if (peek() == '[') {
        auto n = group('[', ']');
        if (!n) return std::nullopt;
        index = *n;
      }
      auto a = group('{', '}');
      if (!a) return std::nullopt;
      return std::pow(*a, 1.0 / index);
    }
    if (eat("\\pi")) return M_PI;
    return std::nullopt;
  }
};

bool numbers_close(double a, double b) {
  if (!std::isfinite(a) || !std::isfinite(b)) return false;
  // Integral values compare exactly: a relative tolerance would accept 13536 for 13535.
  if (std::fabs(a) < 9e15 && std::fabs(b) < 9e15 && a == std::round(a) && b == std::round(b))
    return a == b;
  const double diff = std::fabs(a - b);
  return diff <= 1e-4 * std::max(std::fabs(a), std::fabs(b)) || diff < 1e-12;
}

// Splits "a,b,c" at top-level commas (outside (), [], {}).
std::vector<std::string> split_top_level(const std::string& s) {
  std::vector<std::string> parts;
  int depth = 0;
  std::string cur;
  for (char c : s) {
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

bool normalized_equivalent(const std::string& p, const std::string& g, int depth) {
  if (p == g) return true;
  if (is_plain_integer(p) && is_plain_integer(g)) return false;  // different integers
  const auto pv = evaluate_math_number(p);
  const auto gv = evaluate_math_number(g);
  if (pv && gv) return numbers_close(*pv, *gv);
  if (depth > 4) return false;
  // Lists of two or more elements, equivalent element by element.
  auto lists_equivalent = [depth](const std::string& pl, const std::string& gl) {
    const auto pp = split_top_level(pl);
    const auto gp = split_top_level(gl);
    if (pp.size() != gp.size() || pp.size() < 2) return false;
    for (size_t i = 0; i < pp.size(); ++i)
      if (!normalized_equivalent(pp[i], gp[i], depth + 1)) return false;
    return true;
  };
  auto is_open = [](char c) { return c == '(' || c == '['; };
  auto is_close = [](char c) { return c == ')' || c == ']'; };
  if (p.size() >= 2 && g.size() >= 2 && is_open(p.front()) && is_close(p.back()) &&
      p.front() == g.front() && p.back() == g.back())
    return lists_equivalent(p.substr(1, p.size() - 2), g.substr(1, g.size() - 2));
  return lists_equivalent(p, g);  // bare lists "1,2,3"
}

}  // namespace

std::optional<double> evaluate_math_number(std::string_view normalized) {
  if (normalized.empty()) return std::nullopt;
  return Evaluator(normalized).run();
}

bool math_answers_equivalent(std::string_view prediction, std::string_view gold) {
  const std::string p = normalize_math_answer(prediction);
  const std::string g = normalize_math_answer(gold);
  if (p.empty() || g.empty()) return false;
  return normalized_equivalent(p, g, 0);
}

}  // namespace t2::tasks
