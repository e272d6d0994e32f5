// Values of the sympy emulation (sympy_expr.h): exact fractions over 128-bit integers, sympy's
// number kinds (Integer, Rational, Float, exact irrationals known by their double, oo), rational
// functions of symbols, and collections; with Python/sympy arithmetic on them. An operation that
// Python would refuse throws ParseFail (the reference then keeps the side as a string); one that
// is not reproduced here throws Unsupported with the reason. Internal to src/tasks/reference.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace t2::tasks::reference::sym {

struct ParseFail {};  // Python or sympy raises: symbolic_equal keeps the side as a string
struct Unsupported {
  std::string why;
};
[[noreturn]] void unsupported(std::string why);
[[noreturn]] void fail();

using i128 = __int128;

struct Q {
  i128 n = 0, d = 1;  // d > 0, gcd(n, d) = 1
};

// integer/rational: sympy Integer/Rational, exact unless `big` (past 128 bits: only d is known);
// floating: sympy Float; irrational: an exact non-rational constant (sqrt(2), pi, E, gamma(3.5)...)
// known here by its double; infinity: oo or -oo.
enum class Kind { integer, rational, floating, irrational, infinity };

struct Num {
  Kind kind = Kind::integer;
  Q q;
  bool big = false;
  double d = 0;
};

// A rational function of symbols: polynomials keyed by monomial, coefficients exact or Float.
using Monomial = std::vector<std::pair<std::string, int>>;  // sorted by symbol, exponents > 0

struct Coef {
  bool is_float = false;
  Q q;
  double d = 0;
};

using Poly = std::map<Monomial, Coef>;

struct RatFunc {
  Poly num, den;
};

// What a side evaluates to: a number, a rational function of symbols, or a collection.
struct Value {
  enum class Type { number, symbolic, other } type = Type::number;  // other: tuple, list, set, dict
  Num num;
  RatFunc rf;
};

// Python/sympy operations (throw ParseFail or Unsupported, see above).
Num num_q(const Q& q);
Num num_int(i128 v);
Num num_float(double d);
Num num_irrational(double d);
bool exact(const Num& a);
Num num_big(double d, bool integer);
Num num_finish(double d);
Num num_add(const Num& a, const Num& b);
Num num_neg(const Num& a);
Num num_mul(const Num& a, const Num& b);
bool num_is_zero(const Num& a);
Num num_div(const Num& a, const Num& b);
Num num_pow(const Num& base, const Num& e);
Num num_floordiv(const Num& a, const Num& b, bool mod);
i128 int_of(const Num& a, const char* op);
Poly poly_const(const Num& n);
Value v_num(const Num& n);
Value v_other();
Value v_add(const Value& a, const Value& b);
Value v_neg(const Value& a);
Value v_mul(const Value& a, const Value& b);
Value v_div(const Value& a, const Value& b);
Value v_pow(const Value& a, const Value& b);
bool bare_symbol(const Value& v);

}  // namespace t2::tasks::reference::sym
