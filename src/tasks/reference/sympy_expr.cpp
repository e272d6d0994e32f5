// Emulation of parse_expr (Python tokenizer + sympy's standard transformations + eval), simplify's
// zero test and N() for the constructs listed in sympy_expr.h. Three layers: a tokenizer with
// Python's number/name/operator rules, a parser to a small syntax tree (every syntax error found
// before anything is evaluated, as Python compiles first), and an evaluator over the values of
// sympy_value.h.
#include "tasks/reference/sympy_expr.h"

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "tasks/reference/python_text.h"
#include "tasks/reference/sympy_value.h"

namespace t2::tasks::reference {
namespace {

using namespace sym;  // NOLINT: the values this file evaluates to

// ---- Tokens ------------------------------------------------------------------------------------

struct Tok {
  enum class Type { number, name, op, bang, end } type;
  std::string text;
};

const char* const kPythonKeywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield"};

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

// [d](_?[d])* at pos for a digit class; returns the end or npos.
size_t digit_run(std::string_view s, size_t pos, bool (*ok)(char)) {
  if (pos >= s.size() || !ok(s[pos])) return std::string_view::npos;
  size_t i = pos + 1;
  while (i < s.size()) {
    if (ok(s[i])) ++i;
    else if (s[i] == '_' && i + 1 < s.size() && ok(s[i + 1])) i += 2;
    else break;
  }
  return i;
}
bool dec(char c) { return is_ascii_digit(c); }
bool hex(char c) { return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool oct(char c) { return c >= '0' && c <= '7'; }
bool bin(char c) { return c == '0' || c == '1'; }

size_t exponent_end(std::string_view s, size_t i) {  // [eE][-+]?digits, or npos
  if (i >= s.size() || (s[i] != 'e' && s[i] != 'E')) return std::string_view::npos;
  ++i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  return digit_run(s, i, dec);
}

// Python tokenize's Number at pos (Imagnumber, Floatnumber, Intnumber, first that matches).
size_t number_end(std::string_view s, size_t pos) {
  const auto npos = std::string_view::npos;
  size_t float_end = npos;
  // Pointfloat: digits '.' [digits] | '.' digits, then an optional exponent.
  size_t a = digit_run(s, pos, dec);
  if (a != npos && a < s.size() && s[a] == '.') {
    size_t b = digit_run(s, a + 1, dec);
    float_end = b == npos ? a + 1 : b;
  } else if (a == npos && pos < s.size() && s[pos] == '.') {
    float_end = digit_run(s, pos + 1, dec);
  }
  if (float_end != npos) {
    const size_t e = exponent_end(s, float_end);
    if (e != npos) float_end = e;
  } else if (a != npos) {
    float_end = exponent_end(s, a);  // Expfloat
  }
  for (size_t end : {a, float_end})
    if (end != npos && end < s.size() && (s[end] == 'j' || s[end] == 'J')) unsupported("an imaginary number");
  if (float_end != npos) return float_end;
  if (pos + 1 < s.size() && s[pos] == '0') {
    const char k = s[pos + 1];
    bool (*cls)(char) = (k == 'x' || k == 'X') ? hex : (k == 'o' || k == 'O') ? oct : (k == 'b' || k == 'B') ? bin : nullptr;
    if (cls) {
      size_t i = pos + 2;
      if (i < s.size() && s[i] == '_') ++i;
      const size_t e = digit_run(s, i, cls);
      if (e != npos) return e;
    }
  }
  if (s[pos] == '0') {  // 0(_?0)*
    size_t i = pos + 1;
    while (i < s.size()) {
      if (s[i] == '0') ++i;
      else if (s[i] == '_' && i + 1 < s.size() && s[i + 1] == '0') i += 2;
      else break;
    }
    return i;
  }
  return a;
}

std::vector<Tok> tokenize(std::string_view s) {
  std::vector<Tok> out;
  const auto cps = code_points(s);
  size_t k = 0;  // index into cps
  auto at = [&](size_t byte) {
    while (k < cps.size() && cps[k].pos < byte) ++k;
  };
  size_t i = 0;
  while (i < s.size()) {
    at(i);
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\f') {
      ++i;
      continue;
    }
    if (c == '\n' || c == '\r') unsupported("a line break");
    if (c == '#') break;  // a comment runs to the end
    if (c == '"' || c == '\'') unsupported("a string literal");
    if (is_ascii_digit(c) || (c == '.' && i + 1 < s.size() && is_ascii_digit(s[i + 1]))) {
      const size_t e = number_end(s, i);
      out.push_back({Tok::Type::number, std::string(s.substr(i, e - i))});
      i = e;
      continue;
    }
    if (py_is_word(cps[k].value)) {  // Name: \w+
      size_t j = k;
      while (j < cps.size() && py_is_word(cps[j].value)) ++j;
      const size_t e = j < cps.size() ? cps[j].pos : s.size();
      out.push_back({Tok::Type::name, std::string(s.substr(i, e - i))});
      i = e;
      continue;
    }
    if (c == '!' && !(i + 1 < s.size() && s[i + 1] == '=')) {
      out.push_back({Tok::Type::bang, "!"});
      ++i;
      continue;
    }
    static const char* const kOps[] = {"...", "**", "//", "<<", ">>", "<=", ">=", "==", "!=", "->", ":=",
                                       "+", "-", "*", "/", "%", "^", "&", "|", "~", "<", ">", "(", ")",
                                       "[", "]", "{", "}", ",", ":", ";", ".", "@", "="};
    bool matched = false;
    for (const char* op : kOps) {
      const std::string_view o(op);
      if (s.substr(i, o.size()) == o) {
        out.push_back({Tok::Type::op, std::string(o)});
        i += o.size();
        matched = true;
        break;
      }
    }
    if (!matched) fail();  // Python's ERRORTOKEN: a syntax error once evaluated
  }
  out.push_back({Tok::Type::end, ""});
  return out;
}

// ---- Syntax tree -------------------------------------------------------------------------------

struct Node {
  enum class Kind { number, name, unary, binary, call, apply, factorial, tuple, list, set, dict } kind;
  std::string text;  // number text, name, operator, function name
  std::vector<std::unique_ptr<Node>> args;
  int bangs = 0;  // factorial: 1 or 2
};
using NodeP = std::unique_ptr<Node>;

NodeP node(Node::Kind k, std::string text = {}) {
  auto n = std::make_unique<Node>();
  n->kind = k;
  n->text = std::move(text);
  return n;
}

class Parser {
 public:
  explicit Parser(std::vector<Tok> toks) : t_(std::move(toks)) {}

  NodeP parse() {
    if (peek().type == Tok::Type::end) fail();  // empty input
    NodeP n = expressions(Tok::Type::end, "");
    if (peek().type != Tok::Type::end) fail();
    return n;
  }

 private:
  std::vector<Tok> t_;
  size_t p_ = 0;
  int depth_ = 0;

  const Tok& peek(size_t k = 0) const { return t_[std::min(p_ + k, t_.size() - 1)]; }
  bool is_op(const char* o, size_t k = 0) const { return peek(k).type == Tok::Type::op && peek(k).text == o; }
  bool eat(const char* o) {
    if (!is_op(o)) return false;
    ++p_;
    return true;
  }
  void expect(const char* o) {
    if (!eat(o)) fail();
  }

  // expression (',' expression)* [','] up to a closing token; a tuple when there is a comma.
  NodeP expressions(Tok::Type end_type, const char* close) {
    NodeP first = expression();
    if (!is_op(",")) return first;
    NodeP tup = node(Node::Kind::tuple);
    tup->args.push_back(std::move(first));
    while (eat(",")) {
      if (peek().type == end_type && (end_type == Tok::Type::end || is_op(close))) break;
      tup->args.push_back(expression());
    }
    return tup;
  }

  NodeP expression() {
    if (++depth_ > 200) unsupported("an expression nested more than 200 deep");
    if (peek().type == Tok::Type::name)
      for (const char* kw : kPythonKeywords)
        if (peek().text == kw) unsupported("the Python keyword '" + peek().text + "'");
    NodeP n = binary(0);
    for (const char* cmp : {"<", ">", "==", "!=", "<=", ">=", ":="})
      if (is_op(cmp)) unsupported(std::string("the comparison '") + cmp + "'");
    if (peek().type == Tok::Type::name)
      for (const char* kw : {"if", "in", "is", "not", "and", "or", "for"})
        if (peek().text == kw) unsupported("the Python keyword '" + peek().text + "'");
    --depth_;
    return n;
  }

  // Binary levels from loosest: | ^ & (<< >>) (+ -) (* / // % @)
  NodeP binary(int level) {
    static const std::vector<std::vector<const char*>> kLevels = {
        {"|"}, {"^"}, {"&"}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "//", "%", "@"}};
    if (level == static_cast<int>(kLevels.size())) return factor();
    NodeP left = binary(level + 1);
    for (;;) {
      const char* op = nullptr;
      for (const char* o : kLevels[level])
        if (is_op(o)) op = o;
      if (!op) return left;
      ++p_;
      NodeP b = node(Node::Kind::binary, op);
      b->args.push_back(std::move(left));
      b->args.push_back(binary(level + 1));
      left = std::move(b);
    }
  }

  NodeP factor() {
    for (const char* o : {"+", "-", "~"}) {
      if (eat(o)) {
        if (++depth_ > 200) unsupported("an expression nested more than 200 deep");
        NodeP u = node(Node::Kind::unary, o);
        u->args.push_back(factor());
        --depth_;
        return u;
      }
    }
    return power();
  }

  NodeP power() {
    NodeP base = primary();
    if (!eat("**")) return base;
    NodeP b = node(Node::Kind::binary, "**");
    b->args.push_back(std::move(base));
    b->args.push_back(factor());
    return b;
  }

  // atom, at most one call, then the factorial marks that sympy's factorial_notation attaches.
  NodeP primary() {
    NodeP a = atom();
    const bool name = a->kind == Node::Kind::name;
    if (is_op("(")) {
      ++p_;
      NodeP call = node(name ? Node::Kind::call : Node::Kind::apply, a->text);
      if (!name) call->args.push_back(std::move(a));  // apply: args[0] is the callee
      if (!is_op(")")) {
        for (;;) {
          if (peek().type == Tok::Type::name && is_op("=", 1)) unsupported("a keyword argument");
          if (is_op("*") || is_op("**")) unsupported("a starred argument");
          call->args.push_back(expression());
          if (!eat(",")) break;
          if (is_op(")")) break;
        }
      }
      expect(")");
      a = std::move(call);
    }
    if (is_op("(") || is_op("[") || is_op(".")) unsupported("a subscript, attribute or chained call");
    int bangs = 0;
    while (peek().type == Tok::Type::bang) ++bangs, ++p_;
    if (bangs == 0) return a;
    if (bangs > 2) fail();  // factorial_notation raises TokenError
    if (a->kind == Node::Kind::list || a->kind == Node::Kind::set || a->kind == Node::Kind::dict) fail();
    NodeP f = node(Node::Kind::factorial);
    f->bangs = bangs;
    f->args.push_back(std::move(a));
    return f;
  }

  NodeP atom() {
    const Tok& t = peek();
    if (t.type == Tok::Type::number) {
      ++p_;
      if (is_op("[") && t.text.find('.') != std::string::npos) unsupported("a repeated decimal such as 0.[3]");
      return node(Node::Kind::number, t.text);
    }
    if (t.type == Tok::Type::name) {
      for (const char* kw : kPythonKeywords)
        if (t.text == kw) unsupported("the Python keyword '" + t.text + "'");
      ++p_;
      return node(Node::Kind::name, t.text);
    }
    if (eat("(")) {
      if (eat(")")) return node(Node::Kind::tuple);
      NodeP n = expressions(Tok::Type::op, ")");
      expect(")");
      if (n->kind == Node::Kind::tuple) return n;
      return n;  // parentheses only group
    }
    if (eat("[")) {
      NodeP l = node(Node::Kind::list);
      while (!is_op("]")) {
        l->args.push_back(expression());
        if (!eat(",")) break;
      }
      expect("]");
      return l;
    }
    if (eat("{")) {
      NodeP st = node(Node::Kind::set);
      bool dict = false;
      while (!is_op("}")) {
        st->args.push_back(expression());
        if (eat(":")) {
          dict = true;
          st->args.push_back(expression());
        }
        if (!eat(",")) break;
      }
      expect("}");
      if (dict || st->args.empty()) st->kind = Node::Kind::dict;
      return st;
    }
    if (is_op("...")) unsupported("an Ellipsis");
    fail();
  }
};

// ---- Evaluation --------------------------------------------------------------------------------

struct Mode {
  bool caret_is_power;     // sympify's convert_xor (N of a string); parse_expr: '^' is XOR
  bool decimals_rational;  // sympify(rational=True): Float literals become Rationals
};

// A number literal as auto_number makes it: Integer(...) or Float('...').
Num literal(const std::string& text, const Mode& mode) {
  std::string t;
  for (char c : text)
    if (c != '_') t += c;
  const bool radix = t.size() > 1 && t[0] == '0' && std::isalpha(static_cast<unsigned char>(t[1]));
  const bool is_float = !radix && (t.find('.') != std::string::npos || t.find_first_of("eE") != std::string::npos);
  if (!is_float) {
    const int base = !radix ? 10 : (t[1] == 'x' || t[1] == 'X') ? 16 : (t[1] == 'o' || t[1] == 'O') ? 8 : 2;
    i128 v = 0;
    for (size_t i = radix ? 2 : 0; i < t.size(); ++i) {
      const int digit = std::isdigit(static_cast<unsigned char>(t[i])) ? t[i] - '0' : std::tolower(t[i]) - 'a' + 10;
      if (__builtin_mul_overflow(v, static_cast<i128>(base), &v) || __builtin_add_overflow(v, static_cast<i128>(digit), &v))
        return num_big(std::strtod(text.c_str(), nullptr), true);
    }
    return num_int(v);
  }
  const double d = std::strtod(t.c_str(), nullptr);
  if (!mode.decimals_rational) {
    if (std::isinf(d)) unsupported("a float past the double range");
    return num_float(d);
  }
  // Rational('1.25e-3'): exact from the decimal digits.
  const size_t epos = t.find_first_of("eE");
  const std::string mant = t.substr(0, epos);
  long exp10 = epos == std::string::npos ? 0 : std::strtol(t.c_str() + epos + 1, nullptr, 10);
  i128 n = 0;
  bool overflow = false;
  for (char c : mant) {
    if (c == '.') continue;
    overflow = overflow || __builtin_mul_overflow(n, static_cast<i128>(10), &n) ||
               __builtin_add_overflow(n, static_cast<i128>(c - '0'), &n);
  }
  const size_t dot = mant.find('.');
  if (dot != std::string::npos) exp10 -= static_cast<long>(mant.size() - dot - 1);
  Num r = num_int(n);
  if (!overflow && exp10 > -38 && exp10 < 38) {
    i128 p = 1;
    for (long i = 0; i < std::labs(exp10); ++i) overflow = overflow || __builtin_mul_overflow(p, static_cast<i128>(10), &p);
    if (!overflow) return exp10 >= 0 ? num_mul(r, num_int(p)) : num_div(r, num_int(p));
  }
  return num_big(d, false);
}

Value eval(const Node& n, const Mode& mode);

Value constant(const std::string& name) {
  if (name == "pi") return v_num(num_irrational(M_PI));
  if (name == "E") return v_num(num_irrational(M_E));
  if (name == "oo") return v_num({Kind::infinity, {}, false, HUGE_VAL});
  if (sympy_reserved_name(name)) unsupported("the sympy name '" + name + "'");
  Value v;
  v.type = Value::Type::symbolic;
  v.rf = {{{Monomial{{name, 1}}, Coef{false, {1, 1}, 1.0}}}, poly_const(num_int(1))};
  return v;
}

Num factorial_of(const Num& x, int bangs) {
  if (x.kind == Kind::integer && !x.big) {
    if (x.q.n < 0) unsupported("a factorial of a negative integer (zoo)");
    if (x.q.n > 1000) unsupported("a factorial past 1000");
    Num r = num_int(1);
    for (i128 k = x.q.n; k > 1; k -= bangs) r = num_mul(r, num_int(k));
    return r;
  }
  if (bangs == 2) unsupported("a double factorial of a non-integer");
  if (x.kind == Kind::floating) return num_finish(std::tgamma(x.d + 1));
  if (x.kind == Kind::rational && !x.big) return num_irrational(std::tgamma(x.d + 1));
  unsupported("a factorial of this value");
}

Value call(const std::string& f, const std::vector<Value>& args) {
  if (!sympy_reserved_name(f)) unsupported("the undefined function '" + f + "'");
  const bool one_number = args.size() == 1 && args[0].type == Value::Type::number;
  if (!one_number) unsupported("'" + f + "' of a symbol, several arguments or a tuple");
  const Num& x = args[0].num;
  if (x.kind == Kind::infinity) unsupported("'" + f + "' of oo");
  if (f == "sqrt") {
    if (x.d < 0) unsupported("the square root of a negative number");
    return v_num(num_pow(x, num_q(Q{1, 2})));
  }
  if (f == "factorial") return v_num(factorial_of(x, 1));
  if (f == "factorial2") return v_num(factorial_of(x, 2));
  if (f == "abs" || f == "Abs") return v_num(x.d < 0 ? num_neg(x) : x);
  const bool fl = x.kind == Kind::floating;
  auto inexact = [&](double v, bool exact_at_zero) {
    if (exact_at_zero && exact(x) && x.q.n == 0) unsupported("'" + f + "' of an exact 0");
    return v_num(fl ? num_finish(v) : num_irrational(v));
  };
  if (f == "exp") return inexact(std::exp(x.d), true);
  if (f == "log" || f == "ln") {
    if (x.d <= 0) unsupported("the logarithm of a non-positive number");
    if (exact(x) && x.q.n == 1 && x.q.d == 1) unsupported("log(1)");
    return inexact(std::log(x.d), false);
  }
  if (f == "sin") return inexact(std::sin(x.d), true);
  if (f == "cos") return inexact(std::cos(x.d), true);
  if (f == "tan") return inexact(std::tan(x.d), true);
  unsupported("the sympy function '" + f + "'");
}

Value bitwise(const std::string& op, const Value& a, const Value& b) {
  if (a.type == Value::Type::other && b.type == Value::Type::other) unsupported("'" + op + "' of two collections");
  if (bare_symbol(a) && bare_symbol(b) && op != "<<" && op != ">>") unsupported("a logic expression of symbols");
  if (a.type != Value::Type::number || b.type != Value::Type::number) fail();  // TypeError
  const i128 x = int_of(a.num, op.c_str()), y = int_of(b.num, op.c_str());
  if (op == "^") return v_num(num_int(x ^ y));
  if (op == "&") return v_num(num_int(x & y));
  if (op == "|") return v_num(num_int(x | y));
  if (y < 0) unsupported("a negative shift count");
  if (op == ">>") return v_num(num_int(y >= 127 ? (x < 0 ? -1 : 0) : x >> static_cast<int>(y)));
  if (y > 120 || (x != 0 && std::fabs(static_cast<double>(x)) * std::ldexp(1.0, static_cast<int>(y)) > 1e36))
    unsupported("a shift past 128 bits");
  return v_num(num_int(x * (static_cast<i128>(1) << static_cast<int>(y))));
}

Value eval(const Node& n, const Mode& mode) {
  switch (n.kind) {
    case Node::Kind::number: return v_num(literal(n.text, mode));
    case Node::Kind::name: return constant(n.text);
    case Node::Kind::tuple:
    case Node::Kind::list:
    case Node::Kind::set:
    case Node::Kind::dict:
      for (const auto& a : n.args) {
        const Value v = eval(*a, mode);
        if (v.type == Value::Type::other && n.kind != Node::Kind::tuple && n.kind != Node::Kind::list)
          unsupported("a set or dict holding a collection");
      }
      return v_other();
    case Node::Kind::unary: {
      const Value v = eval(*n.args[0], mode);
      if (n.text == "-") return v_neg(v);
      if (n.text == "+") {
        if (v.type == Value::Type::other) fail();
        return v;
      }
      if (bare_symbol(v)) unsupported("'~' of a symbol (a logic expression)");
      if (v.type != Value::Type::number) fail();
      return v_num(num_int(-int_of(v.num, "~") - 1));
    }
    case Node::Kind::factorial: {
      const Value v = eval(*n.args[0], mode);
      if (v.type != Value::Type::number) unsupported("a factorial of a symbol, tuple or list");
      return v_num(factorial_of(v.num, n.bangs));
    }
    case Node::Kind::apply:  // a number, expression or collection called: not callable
      for (const auto& a : n.args) eval(*a, mode);
      fail();
    case Node::Kind::call: {
      std::vector<Value> args;
      for (const auto& a : n.args) args.push_back(eval(*a, mode));
      return call(n.text, args);
    }
    case Node::Kind::binary: {
      const Value a = eval(*n.args[0], mode);
      const Value b = eval(*n.args[1], mode);
      const std::string& op = n.text;
      if (op == "+") return v_add(a, b);
      if (op == "-") return v_add(a, v_neg(b));
      if (op == "*") return v_mul(a, b);
      if (op == "/") return v_div(a, b);
      if (op == "**") return v_pow(a, b);
      if (op == "//" || op == "%") {
        if (a.type != Value::Type::number || b.type != Value::Type::number)
          unsupported("'" + op + "' with a symbol, tuple or list");
        return v_num(num_floordiv(a.num, b.num, op == "%"));
      }
      if (op == "@") unsupported("'@'");
      return bitwise(op, a, b);
    }
  }
  unsupported("an unknown construct");
}

// One side parsed in one mode.
struct Parsed {
  enum class Status { value, failed, unsupported } status;
  Value value;
  std::string why;
};

Parsed parse(std::string_view text, const Mode& mode) {
  try {
    std::vector<Tok> toks = tokenize(text);
    if (mode.caret_is_power)  // convert_xor rewrites the token before anything is parsed
      for (Tok& t : toks)
        if (t.type == Tok::Type::op && t.text == "^") t.text = "**";
    Parser p(std::move(toks));
    const NodeP tree = p.parse();
    return {Parsed::Status::value, eval(*tree, mode), {}};
  } catch (const ParseFail&) {
    return {Parsed::Status::failed, {}, {}};
  } catch (const Unsupported& u) {
    return {Parsed::Status::unsupported, {}, u.why};
  }
}

// A side's value under N(): a double, "fails" (not a real number), or undetermined (why).
struct Numeric {
  enum class Status { real, fails, unsupported } status;
  double value = 0;
  bool maybe_exact_zero = false;  // an irrational-kind value so close to 0 that sympy may find 0
  std::string why;
};

Numeric numeric_of(const Parsed& p) {
  if (p.status == Parsed::Status::unsupported) return {Numeric::Status::unsupported, 0, false, p.why};
  if (p.status == Parsed::Status::failed || p.value.type != Value::Type::number)
    return {Numeric::Status::fails, 0, false, {}};
  const Num& n = p.value.num;
  return {Numeric::Status::real, n.d, n.kind == Kind::irrational && std::fabs(n.d) < 1e-9, {}};
}

}  // namespace

SymbolicVerdict sympy_symbolic_equal(std::string_view a, std::string_view b) {
  using O = SymbolicVerdict::Outcome;
  const Mode parse_mode{false, false}, sympify_mode{true, true};
  const Parsed pa = parse(a, parse_mode), pb = parse(b, parse_mode);
  std::string why;
  // simplify(a - b) == 0, possible only when both sides parsed to expressions.
  bool simplify_unknown = false;
  if (pa.status == Parsed::Status::unsupported || pb.status == Parsed::Status::unsupported) {
    simplify_unknown = pa.status != Parsed::Status::failed && pb.status != Parsed::Status::failed;
    why = pa.status == Parsed::Status::unsupported ? pa.why : pb.why;
  } else if (pa.status == Parsed::Status::value && pb.status == Parsed::Status::value &&
             pa.value.type != Value::Type::other && pb.value.type != Value::Type::other) {
    try {
      const Value diff = v_add(pa.value, v_neg(pb.value));
      if (diff.type == Value::Type::number && diff.num.kind != Kind::irrational && num_is_zero(diff.num))
        return {O::equal, {}};
    } catch (const Unsupported& u) {
      simplify_unknown = true;
      why = u.why;
    }
  }
  // isclose(N(a), N(b), rel_tol=1e-3); N re-parses a side that stayed a string.
  auto numeric = [&](const Parsed& p, std::string_view text) {
    return numeric_of(p.status == Parsed::Status::failed ? parse(text, sympify_mode) : p);
  };
  const Numeric na = numeric(pa, a), nb = numeric(pb, b);
  if (na.status != Numeric::Status::fails && nb.status != Numeric::Status::fails) {
    if (na.status == Numeric::Status::unsupported || nb.status == Numeric::Status::unsupported)
      return {O::undetermined, na.status == Numeric::Status::unsupported ? na.why : nb.why};
    if (py_isclose(na.value, nb.value, 1e-3)) return {O::equal, {}};
    if ((na.maybe_exact_zero || nb.maybe_exact_zero) && (na.value == 0 || nb.value == 0))
      return {O::undetermined, "a value that sympy may simplify to an exact 0"};
  }
  if (simplify_unknown) return {O::undetermined, why};
  return {O::not_equal, {}};
}

}  // namespace t2::tasks::reference
