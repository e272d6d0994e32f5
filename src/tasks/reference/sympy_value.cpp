// Arithmetic of the sympy emulation's values (sympy_value.h).
#include "tasks/reference/sympy_value.h"

#include <cmath>
#include <limits>

namespace t2::tasks::reference::sym {

void unsupported(std::string why) { throw Unsupported{std::move(why)}; }
void fail() { throw ParseFail{}; }



// ---- Exact fractions over __int128 ------------------------------------------------------------



i128 gcd128(i128 a, i128 b) {
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  while (b != 0) {
    const i128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}



std::optional<Q> q_make(i128 n, i128 d) {
  if (d == 0) return std::nullopt;
  if (d < 0) {
    if (n == std::numeric_limits<i128>::min() || d == std::numeric_limits<i128>::min()) return std::nullopt;
    n = -n;
    d = -d;
  }
  const i128 g = gcd128(n, d);
  if (g > 1) n /= g, d /= g;
  return Q{n, d};
}
std::optional<Q> q_add(const Q& a, const Q& b) {
  i128 x, y, n, d;
  if (__builtin_mul_overflow(a.n, b.d, &x) || __builtin_mul_overflow(b.n, a.d, &y) ||
      __builtin_add_overflow(x, y, &n) || __builtin_mul_overflow(a.d, b.d, &d))
    return std::nullopt;
  return q_make(n, d);
}
std::optional<Q> q_mul(const Q& a, const Q& b) {
  i128 n, d;
  if (__builtin_mul_overflow(a.n, b.n, &n) || __builtin_mul_overflow(a.d, b.d, &d)) return std::nullopt;
  return q_make(n, d);
}
std::optional<Q> q_neg(const Q& a) {
  if (a.n == std::numeric_limits<i128>::min()) return std::nullopt;
  return Q{-a.n, a.d};
}
std::optional<Q> q_inv(const Q& a) { return a.n == 0 ? std::nullopt : q_make(a.d, a.n); }
double q_double(const Q& q) { return static_cast<double>(static_cast<long double>(q.n) / static_cast<long double>(q.d)); }
bool q_is_int(const Q& q) { return q.d == 1; }

// Integer k-th root of a non-negative value when exact.
std::optional<i128> exact_root(i128 v, int k) {
  if (v < 0) return std::nullopt;
  if (v < 2) return v;
  i128 r = static_cast<i128>(std::llround(std::pow(static_cast<long double>(v), 1.0L / k)));
  for (i128 c = r > 2 ? r - 2 : 0; c <= r + 2; ++c) {
    i128 p = 1;
    bool over = false;
    for (int i = 0; i < k && !over; ++i) over = __builtin_mul_overflow(p, c, &p);
    if (!over && p == v) return c;
  }
  return std::nullopt;
}

// ---- Numbers ---------------------------------------------------------------------------------





Num num_q(const Q& q) { return {q_is_int(q) ? Kind::integer : Kind::rational, q, false, q_double(q)}; }
Num num_int(i128 v) { return num_q(Q{v, 1}); }
Num num_float(double d) { return {Kind::floating, {}, false, d}; }
Num num_irrational(double d) { return {Kind::irrational, {}, false, d}; }
bool exact(const Num& a) { return (a.kind == Kind::integer || a.kind == Kind::rational) && !a.big; }
bool exact_or_big(const Num& a) { return a.kind == Kind::integer || a.kind == Kind::rational; }

// A result of exact operands whose fraction overflowed: keep the double (sympy keeps it exact).
Num num_big(double d, bool integer) { return {integer ? Kind::integer : Kind::rational, {}, true, d}; }

Num num_finish(double d) {
  if (std::isnan(d) || std::isinf(d)) unsupported("a non-finite intermediate value");
  return num_float(d);
}

Num num_add(const Num& a, const Num& b) {
  if (a.kind == Kind::infinity || b.kind == Kind::infinity) {
    if (a.kind == Kind::infinity && b.kind == Kind::infinity && (a.d > 0) != (b.d > 0))
      unsupported("oo - oo");
    return a.kind == Kind::infinity ? a : b;
  }
  if (a.kind == Kind::floating || b.kind == Kind::floating) return num_finish(a.d + b.d);
  if (a.kind == Kind::irrational || b.kind == Kind::irrational) return num_irrational(a.d + b.d);
  if (exact(a) && exact(b))
    if (auto s = q_add(a.q, b.q)) return num_q(*s);
  return num_big(a.d + b.d, a.kind == Kind::integer && b.kind == Kind::integer);
}

Num num_neg(const Num& a) {
  Num r = a;
  r.d = -a.d;
  if (exact(a)) {
    if (auto n = q_neg(a.q)) r.q = *n;
    else r = num_big(-a.d, a.kind == Kind::integer);
  }
  return r;
}

Num num_mul(const Num& a, const Num& b) {
  if (a.kind == Kind::infinity || b.kind == Kind::infinity) unsupported("a product with oo");
  if (a.kind == Kind::floating || b.kind == Kind::floating) return num_finish(a.d * b.d);
  if (a.kind == Kind::irrational || b.kind == Kind::irrational) {
    if ((exact(a) && a.q.n == 0) || (exact(b) && b.q.n == 0)) return num_int(0);
    return num_irrational(a.d * b.d);
  }
  if (exact(a) && exact(b))
    if (auto p = q_mul(a.q, b.q)) return num_q(*p);
  return num_big(a.d * b.d, a.kind == Kind::integer && b.kind == Kind::integer);
}

bool num_is_zero(const Num& a) { return exact(a) ? a.q.n == 0 : (a.kind != Kind::irrational && a.d == 0); }

Num num_div(const Num& a, const Num& b) {
  if (a.kind == Kind::infinity || b.kind == Kind::infinity) unsupported("a division with oo");
  if (num_is_zero(b)) unsupported("a division by zero (zoo)");
  if (b.kind == Kind::irrational && b.d == 0) unsupported("a division by a value that may be zero");
  if (a.kind == Kind::floating || b.kind == Kind::floating) return num_finish(a.d / b.d);
  if (a.kind == Kind::irrational || b.kind == Kind::irrational) return num_irrational(a.d / b.d);
  if (exact(a) && exact(b))
    if (auto inv = q_inv(b.q))
      if (auto p = q_mul(a.q, *inv)) return num_q(*p);
  return num_big(a.d / b.d, false);
}

Num num_pow(const Num& base, const Num& e) {
  if (base.kind == Kind::infinity || e.kind == Kind::infinity) unsupported("a power with oo");
  if (exact(e) && q_is_int(e.q) && exact(base)) {
    i128 k = e.q.n;
    if (base.q.n == 0) {
      if (k < 0) unsupported("0 to a negative power (zoo)");
      return num_int(k == 0 ? 1 : 0);
    }
    Q b = base.q;
    if (k < 0) {
      b = *q_inv(b);
      k = -k;
    }
    Q r{1, 1};
    bool overflow = false;
    for (i128 i = 0; i < k && !overflow; ++i) {
      if (auto p = q_mul(r, b)) r = *p;
      else overflow = true;
      if (i > 256) overflow = true;
    }
    if (!overflow) return num_q(r);
    return num_big(std::pow(base.d, e.d), base.kind == Kind::integer && e.d >= 0);
  }
  if (exact(e) && exact(base) && base.q.n > 0 && e.q.d <= 64) {
    // A rational power: exact when numerator and denominator are perfect powers.
    const int root = static_cast<int>(e.q.d);
    auto rn = exact_root(base.q.n, root), rd = exact_root(base.q.d, root);
    if (rn && rd) return num_pow(num_q(*q_make(*rn, *rd)), num_int(e.q.n));
    return num_irrational(std::pow(base.d, e.d));
  }
  const bool integral_exponent = e.d == std::floor(e.d);
  if (base.d < 0 && !integral_exponent) unsupported("a complex power");
  if (base.d == 0 && e.d < 0) unsupported("0 to a negative power (zoo)");
  if (base.kind == Kind::floating || e.kind == Kind::floating) return num_finish(std::pow(base.d, e.d));
  return num_irrational(std::pow(base.d, e.d));
}

// Python floor division and modulo on sympy numbers.
Num num_floordiv(const Num& a, const Num& b, bool mod) {
  if (!(exact_or_big(a) || a.kind == Kind::floating) || !(exact_or_big(b) || b.kind == Kind::floating))
    unsupported("// or % of an irrational or infinite value");
  if (num_is_zero(b)) unsupported("// or % by zero");
  if (exact(a) && exact(b)) {
    const Q& x = a.q;
    const Q& y = b.q;
    i128 num, den;  // x / y = num / den
    if (!__builtin_mul_overflow(x.n, y.d, &num) && !__builtin_mul_overflow(x.d, y.n, &den)) {
      if (den < 0) num = -num, den = -den;
      i128 f = num / den;
      if ((num % den != 0) && (num < 0)) --f;
      if (!mod) return num_int(f);
      if (auto p = q_mul(y, Q{f, 1}))
        if (auto n = q_neg(*p))
          if (auto r = q_add(x, *n)) return num_q(*r);
    }
    unsupported("// or % past 128 bits");
  }
  if (a.big || b.big) unsupported("// or % past 128 bits");
  const double f = std::floor(a.d / b.d);
  if (!mod) {
    if (std::fabs(f) > 1e30) unsupported("a floor past 128 bits");
    return num_int(static_cast<i128>(f));
  }
  return num_finish(a.d - b.d * f);
}

i128 int_of(const Num& a, const char* op) {
  if (a.kind == Kind::integer && !a.big) return a.q.n;
  if (a.kind == Kind::integer || a.kind == Kind::irrational) unsupported(std::string(op) + " of a value known only approximately");
  fail();  // Rational, Float, oo: sympy defines no bit operations on them (TypeError)
}

// ---- Polynomials and rational functions of symbols -----------------------------------------------




Coef coef_of(const Num& n) {
  if (n.kind == Kind::floating) return {true, {}, n.d};
  if (exact(n)) return {false, n.q, n.d};
  unsupported("an irrational, infinite or very large coefficient of a symbol");
}
Num num_of(const Coef& c) { return c.is_float ? num_float(c.d) : num_q(c.q); }
bool coef_zero(const Coef& c) { return c.is_float ? c.d == 0 : c.q.n == 0; }
Coef coef_add(const Coef& a, const Coef& b) { return coef_of(num_add(num_of(a), num_of(b))); }
Coef coef_mul(const Coef& a, const Coef& b) { return coef_of(num_mul(num_of(a), num_of(b))); }



Poly poly_const(const Num& n) {
  Poly p;
  const Coef c = coef_of(n);
  if (!coef_zero(c)) p[{}] = c;
  return p;
}
void poly_add_term(Poly& p, const Monomial& m, const Coef& c) {
  auto it = p.find(m);
  if (it == p.end()) {
    if (!coef_zero(c)) p[m] = c;
    return;
  }
  it->second = coef_add(it->second, c);
  if (coef_zero(it->second)) p.erase(it);
}
Poly poly_add(const Poly& a, const Poly& b) {
  Poly r = a;
  for (const auto& [m, c] : b) poly_add_term(r, m, c);
  return r;
}
Poly poly_scale(const Poly& a, const Coef& k) {
  Poly r;
  for (const auto& [m, c] : a) poly_add_term(r, m, coef_mul(c, k));
  return r;
}
Monomial mono_mul(const Monomial& a, const Monomial& b) {
  std::map<std::string, int> e;
  for (const auto& [s, k] : a) e[s] += k;
  for (const auto& [s, k] : b) e[s] += k;
  return Monomial(e.begin(), e.end());
}
Poly poly_mul(const Poly& a, const Poly& b) {
  if (a.size() * b.size() > 4096) unsupported("a polynomial of more than 4096 terms");
  Poly r;
  for (const auto& [ma, ca] : a)
    for (const auto& [mb, cb] : b) poly_add_term(r, mono_mul(ma, mb), coef_mul(ca, cb));
  return r;
}
bool poly_constant(const Poly& p) { return p.empty() || (p.size() == 1 && p.begin()->first.empty()); }
Num poly_value(const Poly& p) { return p.empty() ? num_int(0) : num_of(p.begin()->second); }



// ---- Values ------------------------------------------------------------------------------------



Value v_num(const Num& n) { return {Value::Type::number, n, {}}; }
Value v_other() { return {Value::Type::other, {}, {}}; }

// A rational function as sympy would show it: a number when it has no symbol left (also x/x and
// 2*x/x, which sympy cancels on construction).
Value v_rf(RatFunc rf) {
  if (rf.num.empty()) return v_num(num_int(0));
  if (poly_constant(rf.den) && poly_constant(rf.num)) return v_num(num_div(poly_value(rf.num), poly_value(rf.den)));
  if (rf.num.size() == rf.den.size()) {
    // num = k * den for a number k?
    const auto& [m0, c0] = *rf.den.begin();
    const auto it = rf.num.find(m0);
    if (it != rf.num.end()) {
      const Num k = num_div(num_of(it->second), num_of(c0));
      const Poly scaled = poly_scale(rf.den, coef_of(k));
      const Poly diff = poly_add(rf.num, poly_scale(scaled, coef_of(num_int(-1))));
      if (diff.empty()) return v_num(k);
    }
  }
  return {Value::Type::symbolic, {}, std::move(rf)};
}

RatFunc as_rf(const Value& v) {
  if (v.type == Value::Type::symbolic) return v.rf;
  return {poly_const(v.num), poly_const(num_int(1))};
}

// Arithmetic with a tuple, list, set or dict: Python raises TypeError (the side stays a string),
// except for sequence repetition and concatenation, which are not reproduced.
void require_expr(const Value& a, const Value& b, const char* op) {
  const bool oa = a.type == Value::Type::other, ob = b.type == Value::Type::other;
  if (!oa && !ob) return;
  if ((oa && ob) || std::string_view(op) == "*") unsupported(std::string("'") + op + "' on a tuple, list, set or dict");
  fail();
}

Value v_add(const Value& a, const Value& b) {
  require_expr(a, b, "+");
  if (a.type == Value::Type::number && b.type == Value::Type::number) return v_num(num_add(a.num, b.num));
  const RatFunc x = as_rf(a), y = as_rf(b);
  return v_rf({poly_add(poly_mul(x.num, y.den), poly_mul(y.num, x.den)), poly_mul(x.den, y.den)});
}
Value v_neg(const Value& a) {
  if (a.type == Value::Type::other) fail();
  if (a.type == Value::Type::number) return v_num(num_neg(a.num));
  return v_rf({poly_scale(a.rf.num, coef_of(num_int(-1))), a.rf.den});
}
Value v_mul(const Value& a, const Value& b) {
  require_expr(a, b, "*");
  if (a.type == Value::Type::number && b.type == Value::Type::number) return v_num(num_mul(a.num, b.num));
  const RatFunc x = as_rf(a), y = as_rf(b);
  return v_rf({poly_mul(x.num, y.num), poly_mul(x.den, y.den)});
}
Value v_div(const Value& a, const Value& b) {
  require_expr(a, b, "/");
  if (a.type == Value::Type::number && b.type == Value::Type::number) return v_num(num_div(a.num, b.num));
  const RatFunc x = as_rf(a), y = as_rf(b);
  if (y.num.empty()) unsupported("a division by zero (zoo)");
  return v_rf({poly_mul(x.num, y.den), poly_mul(x.den, y.num)});
}
Value v_pow(const Value& a, const Value& b) {
  require_expr(a, b, "**");
  if (b.type != Value::Type::number) unsupported("a power with a symbol in the exponent");
  if (a.type == Value::Type::number) return v_num(num_pow(a.num, b.num));
  if (!exact(b.num) || !q_is_int(b.num.q)) unsupported("a symbol to a non-integer power");
  i128 k = b.num.q.n;
  RatFunc base = a.rf;
  if (k < 0) std::swap(base.num, base.den), k = -k;
  if (k > 64) unsupported("a symbol to a power above 64");
  RatFunc r{poly_const(num_int(1)), poly_const(num_int(1))};
  for (i128 i = 0; i < k; ++i) r = {poly_mul(r.num, base.num), poly_mul(r.den, base.den)};
  return v_rf(std::move(r));
}

// A value that sympy holds as a bare Symbol (a Boolean too, so & | ^ ~ build logic from it).
bool bare_symbol(const Value& v) {
  if (v.type != Value::Type::symbolic || v.rf.num.size() != 1 || !poly_constant(v.rf.den)) return false;
  const auto& [m, c] = *v.rf.num.begin();
  const Num k = num_div(num_of(c), poly_value(v.rf.den));
  return m.size() == 1 && m[0].second == 1 && exact(k) && k.q.n == 1 && k.q.d == 1;
}


}  // namespace t2::tasks::reference::sym
