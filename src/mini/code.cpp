// MBPP-like (training task) and HumanEval-like (unseen task) Python function problems. Each
// problem is an operation template with a Python body and a C++ evaluator that computes the
// expected values of its assert tests, so every generated test is correct by construction.
#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <numeric>

#include "base/error.h"
#include "mini/mini.h"
#include "mini/words.h"

namespace t2::mini {
namespace {

using nlohmann::json;

enum class ArgKind { int2, int1, list, str, list_int };

struct Args {
  long a = 0, b = 0;
  std::vector<long> list;
  std::string str;
};

struct CodeOp {
  std::string desc;                // completes "Write a function to ..." / docstring sentence
  std::vector<std::string> names;  // function name variants
  ArgKind kind;
  std::string expr;                // Python expression over the parameters
  std::function<std::string(const Args&)> eval;  // Python literal of the expected result
};

std::string py_bool(bool b) { return b ? "True" : "False"; }
std::string py_int(long v) { return std::to_string(v); }
std::string py_list(const std::vector<long>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}
std::string py_str(const std::string& s) { return "'" + s + "'"; }

std::string params_of(ArgKind k) {
  switch (k) {
    case ArgKind::int2: return "a, b";
    case ArgKind::int1: return "n";
    case ArgKind::list: return "lst";
    case ArgKind::str: return "s";
    case ArgKind::list_int: return "lst, n";
  }
  return "";
}

std::string args_text(ArgKind k, const Args& x) {
  switch (k) {
    case ArgKind::int2: return py_int(x.a) + ", " + py_int(x.b);
    case ArgKind::int1: return py_int(x.a);
    case ArgKind::list: return py_list(x.list);
    case ArgKind::str: return py_str(x.str);
    case ArgKind::list_int: return py_list(x.list) + ", " + py_int(x.a);
  }
  return "";
}

const std::vector<std::string>& words() {
  static const std::vector<std::string> v = {"cat",  "dog",   "level", "noon",  "apple", "river",
                                             "stone", "radar", "bird",  "moon",  "sun",   "tree",
                                             "kayak", "wolf",  "star",  "refer", "lamp",  "civic"};
  return v;
}

Args random_args(Rng& rng, ArgKind k) {
  Args x;
  x.a = uniform_int(rng, -9, 20);
  x.b = uniform_int(rng, -9, 20);
  const int len = static_cast<int>(uniform_int(rng, 3, 6));
  for (int i = 0; i < len; ++i) x.list.push_back(uniform_int(rng, 0, 20));
  x.str = pick(rng, words());
  if (k == ArgKind::list_int) x.a = uniform_int(rng, 0, 20);
  return x;
}

long lsum(const std::vector<long>& v) { return std::accumulate(v.begin(), v.end(), 0L); }

const std::vector<CodeOp>& mbpp_ops() {
  static const std::vector<CodeOp> ops = {
      {"return the sum of two numbers", {"add_numbers", "sum_two", "get_sum"}, ArgKind::int2, "a + b",
       [](const Args& x) { return py_int(x.a + x.b); }},
      {"return the difference of two numbers", {"subtract", "difference", "minus"}, ArgKind::int2, "a - b",
       [](const Args& x) { return py_int(x.a - x.b); }},
      {"return the product of two numbers", {"multiply", "product", "times"}, ArgKind::int2, "a * b",
       [](const Args& x) { return py_int(x.a * x.b); }},
      {"return the larger of two numbers", {"larger", "max_of_two", "bigger"}, ArgKind::int2, "max(a, b)",
       [](const Args& x) { return py_int(std::max(x.a, x.b)); }},
      {"return the smaller of two numbers", {"smaller", "min_of_two", "lesser"}, ArgKind::int2, "min(a, b)",
       [](const Args& x) { return py_int(std::min(x.a, x.b)); }},
      {"return the square of a number", {"square", "squared", "square_num"}, ArgKind::int1, "n * n",
       [](const Args& x) { return py_int(x.a * x.a); }},
      {"return double a number", {"double", "twice", "double_num"}, ArgKind::int1, "2 * n",
       [](const Args& x) { return py_int(2 * x.a); }},
      {"add one to a number", {"add_one", "increment", "next_num"}, ArgKind::int1, "n + 1",
       [](const Args& x) { return py_int(x.a + 1); }},
      {"check whether a number is even", {"is_even", "even", "check_even"}, ArgKind::int1, "n % 2 == 0",
       [](const Args& x) { return py_bool(((x.a % 2) + 2) % 2 == 0); }},
      {"check whether a number is odd", {"is_odd", "odd", "check_odd"}, ArgKind::int1, "n % 2 == 1",
       [](const Args& x) { return py_bool(((x.a % 2) + 2) % 2 == 1); }},
      {"return the absolute value of a number", {"absolute", "abs_value", "magnitude"}, ArgKind::int1,
       "abs(n)", [](const Args& x) { return py_int(x.a < 0 ? -x.a : x.a); }},
      {"return the sum of a list", {"list_sum", "sum_list", "total"}, ArgKind::list, "sum(lst)",
       [](const Args& x) { return py_int(lsum(x.list)); }},
      {"return the largest element of a list", {"list_max", "largest", "max_element"}, ArgKind::list,
       "max(lst)", [](const Args& x) { return py_int(*std::max_element(x.list.begin(), x.list.end())); }},
      {"return the smallest element of a list", {"list_min", "smallest", "min_element"}, ArgKind::list,
       "min(lst)", [](const Args& x) { return py_int(*std::min_element(x.list.begin(), x.list.end())); }},
      {"return the first element of a list", {"first", "head", "first_element"}, ArgKind::list, "lst[0]",
       [](const Args& x) { return py_int(x.list.front()); }},
      {"return the last element of a list", {"last", "tail_element", "last_element"}, ArgKind::list,
       "lst[-1]", [](const Args& x) { return py_int(x.list.back()); }},
      {"return the length of a list", {"list_length", "count_items", "size"}, ArgKind::list, "len(lst)",
       [](const Args& x) { return py_int(static_cast<long>(x.list.size())); }},
      {"sort a list", {"sort_list", "sorted_list", "order"}, ArgKind::list, "sorted(lst)",
       [](const Args& x) {
         auto v = x.list;
         std::sort(v.begin(), v.end());
         return py_list(v);
       }},
      {"reverse a list", {"reverse_list", "backwards", "flip"}, ArgKind::list, "lst[::-1]",
       [](const Args& x) { return py_list(std::vector<long>(x.list.rbegin(), x.list.rend())); }},
      {"reverse a string", {"reverse_string", "rev", "mirror"}, ArgKind::str, "s[::-1]",
       [](const Args& x) { return py_str(std::string(x.str.rbegin(), x.str.rend())); }},
      {"convert a string to upper case", {"to_upper", "upper", "shout"}, ArgKind::str, "s.upper()",
       [](const Args& x) {
         std::string s = x.str;
         for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
         return py_str(s);
       }},
      {"return the length of a string", {"str_length", "string_len", "word_length"}, ArgKind::str,
       "len(s)", [](const Args& x) { return py_int(static_cast<long>(x.str.size())); }},
      {"return a string repeated twice", {"repeat_twice", "doubled", "echo"}, ArgKind::str, "s + s",
       [](const Args& x) { return py_str(x.str + x.str); }},
  };
  return ops;
}

const std::vector<CodeOp>& humaneval_ops() {
  static const std::vector<CodeOp> ops = {
      {"return the sum of the squares of a and b", {"sum_of_squares"}, ArgKind::int2, "a * a + b * b",
       [](const Args& x) { return py_int(x.a * x.a + x.b * x.b); }},
      {"return twice the sum of a and b", {"double_sum"}, ArgKind::int2, "2 * (a + b)",
       [](const Args& x) { return py_int(2 * (x.a + x.b)); }},
      {"return the distance between a and b", {"distance"}, ArgKind::int2, "abs(a - b)",
       [](const Args& x) { return py_int(x.a > x.b ? x.a - x.b : x.b - x.a); }},
      {"return the square of n plus one", {"square_plus_one"}, ArgKind::int1, "n * n + 1",
       [](const Args& x) { return py_int(x.a * x.a + 1); }},
      {"check whether n is divisible by 3", {"divisible_by_three"}, ArgKind::int1, "n % 3 == 0",
       [](const Args& x) { return py_bool(x.a % 3 == 0); }},
      {"return the largest element minus the smallest element of lst", {"value_range"}, ArgKind::list,
       "max(lst) - min(lst)",
       [](const Args& x) {
         return py_int(*std::max_element(x.list.begin(), x.list.end()) -
                       *std::min_element(x.list.begin(), x.list.end()));
       }},
      {"return a list with every element of lst doubled", {"double_all"}, ArgKind::list,
       "[2 * x for x in lst]",
       [](const Args& x) {
         auto v = x.list;
         for (auto& e : v) e *= 2;
         return py_list(v);
       }},
      {"return the even elements of lst", {"keep_even"}, ArgKind::list, "[x for x in lst if x % 2 == 0]",
       [](const Args& x) {
         std::vector<long> v;
         for (long e : x.list)
           if (e % 2 == 0) v.push_back(e);
         return py_list(v);
       }},
      {"return the sum of the squares of the elements of lst", {"list_sum_of_squares"}, ArgKind::list,
       "sum(x * x for x in lst)",
       [](const Args& x) {
         long s = 0;
         for (long e : x.list) s += e * e;
         return py_int(s);
       }},
      {"return a list with n added to every element of lst", {"add_to_all"}, ArgKind::list_int,
       "[x + n for x in lst]",
       [](const Args& x) {
         auto v = x.list;
         for (auto& e : v) e += x.a;
         return py_list(v);
       }},
      {"return how many elements of lst are greater than n", {"count_greater"}, ArgKind::list_int,
       "sum(1 for x in lst if x > n)",
       [](const Args& x) {
         long c = 0;
         for (long e : x.list) c += e > x.a;
         return py_int(c);
       }},
      {"check whether n is an element of lst", {"contains"}, ArgKind::list_int, "n in lst",
       [](const Args& x) { return py_bool(std::find(x.list.begin(), x.list.end(), x.a) != x.list.end()); }},
      {"check whether the string s reads the same backwards", {"is_palindrome"}, ArgKind::str,
       "s == s[::-1]", [](const Args& x) { return py_bool(x.str == std::string(x.str.rbegin(), x.str.rend())); }},
      {"return the last character of the string s", {"last_char"}, ArgKind::str, "s[-1]",
       [](const Args& x) { return py_str(x.str.substr(x.str.size() - 1)); }},
      {"return the string s with its first letter in upper case", {"capitalize_first"}, ArgKind::str,
       "s.capitalize()",
       [](const Args& x) {
         std::string s = x.str;
         s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
         return py_str(s);
       }},
  };
  return ops;
}

// Distinct argument sets for one problem's tests.
std::vector<Args> test_args(Rng& rng, ArgKind kind, int n) {
  std::vector<Args> out;
  std::vector<std::string> seen;
  for (int tries = 0; static_cast<int>(out.size()) < n && tries < 100; ++tries) {
    Args a = random_args(rng, kind);
    const std::string key = args_text(kind, a);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    out.push_back(a);
  }
  return out;
}

}  // namespace

std::vector<json> make_mbpp(uint64_t seed, const std::vector<Part>& parts) {
  Rng rng = Rng::stream(seed, 300, RngPurpose::generic);
  const auto& ops = mbpp_ops();
  std::vector<json> out;
  FileDraws draws(Family::mbpp);
  for (size_t i = 0; i < parts.size(); ++i) {
    json r = draws.next(rng, parts[i], [&](Rng& g) {
      const CodeOp& op = ops[g.below(ops.size())];
      const std::string name = pick(g, op.names);
      json tests = json::array();
      for (const Args& a : test_args(g, op.kind, 3))
        tests.push_back("assert " + name + "(" + args_text(op.kind, a) + ") == " + op.eval(a));
      return json{{"text", "Write a function to " + op.desc + "."},
                  {"code", "def " + name + "(" + params_of(op.kind) + "):\n    return " + op.expr},
                  {"test_setup_code", ""},
                  {"test_list", tests},
                  {"challenge_test_list", json::array()}};
    });
    r["task_id"] = static_cast<int>(i) + 1;
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<json> make_humaneval(uint64_t seed, const std::vector<Part>& parts) {
  Rng rng = Rng::stream(seed, 400, RngPurpose::generic);
  const auto& ops = humaneval_ops();
  std::vector<json> out;
  FileDraws draws(Family::humaneval);
  for (size_t i = 0; i < parts.size(); ++i) {
    json r = draws.next(rng, parts[i], [&](Rng& g) {
      const CodeOp& op = ops[g.below(ops.size())];
      const std::string& name = op.names.front();
      const std::vector<Args> args = test_args(g, op.kind, 5);
      std::string doc = op.desc;
      doc[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(doc[0])));
      const std::string prompt = "def " + name + "(" + params_of(op.kind) + "):\n    \"\"\"" + doc +
                                 ".\n    >>> " + name + "(" + args_text(op.kind, args[0]) + ")\n    " +
                                 op.eval(args[0]) + "\n    \"\"\"\n";
      std::string test = "\n\ndef check(candidate):\n";
      for (size_t t = 1; t < args.size(); ++t)
        test += "    assert candidate(" + args_text(op.kind, args[t]) + ") == " + op.eval(args[t]) + "\n";
      return json{{"prompt", prompt},
                  {"entry_point", name},
                  {"canonical_solution", "    return " + op.expr + "\n"},
                  {"test", test}};
    });
    r["task_id"] = "HumanEval/" + std::to_string(i);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace t2::mini
