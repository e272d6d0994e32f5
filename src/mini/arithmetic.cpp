// GSM8K-like word problems (training task, answers "#### N") and MATH-like problems (unseen task,
// answers in \boxed{}), generated from templates with seeded numbers.
#include <nlohmann/json.hpp>
#include <numeric>  // std::gcd

#include "base/error.h"
#include "mini/mini.h"
#include "mini/words.h"

namespace t2::mini {
namespace {

using nlohmann::json;

struct Problem {
  std::string question;
  std::string reasoning;  // lines of worked steps, without the final answer line
  long answer;
};

Problem gsm8k_problem(Rng& rng) {
  const std::string a = pick(rng, person_names());
  std::string b = pick(rng, person_names());
  while (b == a) b = pick(rng, person_names());
  const std::string obj = pick(rng, object_names());
  switch (rng.below(6)) {
    case 0: {
      const long x = uniform_int(rng, 1, 9), y = uniform_int(rng, 1, 9);
      return {a + " has " + std::to_string(x) + " " + obj + ". " + a + " gets " + std::to_string(y) +
                  " more " + obj + ". How many " + obj + " does " + a + " have now?",
              std::to_string(x) + " + " + std::to_string(y) + " = " + std::to_string(x + y) + ".",
              x + y};
    }
    case 1: {
      const long y = uniform_int(rng, 1, 9), x = y + uniform_int(rng, 1, 9);
      return {a + " has " + std::to_string(x) + " " + obj + ". " + a + " gives " + std::to_string(y) +
                  " " + obj + " to " + b + ". How many " + obj + " does " + a + " have left?",
              std::to_string(x) + " - " + std::to_string(y) + " = " + std::to_string(x - y) + ".",
              x - y};
    }
    case 2: {
      const long x = uniform_int(rng, 2, 6), y = uniform_int(rng, 2, 6);
      return {a + " buys " + std::to_string(x) + " bags with " + std::to_string(y) + " " + obj +
                  " in each bag. How many " + obj + " does " + a + " buy?",
              std::to_string(x) + " * " + std::to_string(y) + " = " + std::to_string(x * y) + ".",
              x * y};
    }
    case 3: {
      const long x = uniform_int(rng, 1, 9), y = uniform_int(rng, 1, 9);
      return {a + " has " + std::to_string(x) + " " + obj + " and " + b + " has " + std::to_string(y) +
                  " " + obj + ". How many " + obj + " do they have together?",
              std::to_string(x) + " + " + std::to_string(y) + " = " + std::to_string(x + y) + ".",
              x + y};
    }
    case 4: {
      const long x = uniform_int(rng, 2, 9), y = uniform_int(rng, 1, 9);
      const long t = x + y, z = uniform_int(rng, 1, std::min(t - 1, 9L));
      return {a + " has " + std::to_string(x) + " " + obj + ", finds " + std::to_string(y) +
                  " more and then gives " + std::to_string(z) + " to " + b + ". How many " + obj +
                  " does " + a + " have now?",
              std::to_string(x) + " + " + std::to_string(y) + " = " + std::to_string(t) + ". " +
                  std::to_string(t) + " - " + std::to_string(z) + " = " + std::to_string(t - z) + ".",
              t - z};
    }
    default: {
      const long y = uniform_int(rng, 2, 6), q = uniform_int(rng, 2, 6), x = y * q;
      return {a + " shares " + std::to_string(x) + " " + obj + " equally among " + std::to_string(y) +
                  " friends. How many " + obj + " does each friend get?",
              std::to_string(x) + " / " + std::to_string(y) + " = " + std::to_string(q) + ".", q};
    }
  }
}

struct MathProblem {
  std::string problem, solution, answer, subject;
  int level;
};

std::string fraction_text(long num, long den) {
  const long g = std::gcd(num, den);
  num /= g;
  den /= g;
  if (den == 1) return std::to_string(num);
  return "\\frac{" + std::to_string(num) + "}{" + std::to_string(den) + "}";
}

// The last line of a worked MATH-like solution. The steps before it are written as the GSM8K-like
// ones are ("a * b = c.", one step per sentence), so that working a MATH-like problem out is the
// same skill, in the same words, as working a GSM8K-like one out: what the math expert, trained on
// GSM8K-like questions only, can carry over to an unseen task.
std::string boxed(const std::string& answer) { return "The answer is $\\boxed{" + answer + "}$."; }

MathProblem math_problem(Rng& rng) {
  switch (rng.below(6)) {
    case 0: {
      const long a = uniform_int(rng, 2, 6), b = uniform_int(rng, 2, 6), c = uniform_int(rng, 1, 9);
      const long r = a * b + c;
      return {"Compute $" + std::to_string(a) + " \\times " + std::to_string(b) + " + " +
                  std::to_string(c) + "$.",
              std::to_string(a) + " * " + std::to_string(b) + " = " + std::to_string(a * b) + ". " +
                  std::to_string(a * b) + " + " + std::to_string(c) + " = " + std::to_string(r) + ".\n" +
                  boxed(std::to_string(r)),
              std::to_string(r), "Prealgebra", 1};
    }
    case 1: {
      const long a = uniform_int(rng, 1, 9), x = uniform_int(rng, 1, 9), b = a + x;
      return {"What is the value of $x$ if $x + " + std::to_string(a) + " = " + std::to_string(b) + "$?",
              std::to_string(b) + " - " + std::to_string(a) + " = " + std::to_string(x) + ".\n" +
                  boxed(std::to_string(x)),
              std::to_string(x), "Algebra", 1};
    }
    case 2: {
      const long q = uniform_int(rng, 2, 9), p = uniform_int(rng, 1, q - 1), k = uniform_int(rng, 2, 4);
      const std::string ans = fraction_text(p * k, q * k);
      const long g = std::gcd(p * k, q * k);
      return {"Simplify $\\frac{" + std::to_string(p * k) + "}{" + std::to_string(q * k) + "}$.",
              std::to_string(p * k) + " / " + std::to_string(g) + " = " + std::to_string(p * k / g) + ". " +
                  std::to_string(q * k) + " / " + std::to_string(g) + " = " + std::to_string(q * k / g) + ".\n" +
                  boxed(ans),
              ans, "Prealgebra", 2};
    }
    case 3: {
      const long a = uniform_int(rng, 2, 9);
      return {"What is $" + std::to_string(a) + "^2$?",
              std::to_string(a) + " * " + std::to_string(a) + " = " + std::to_string(a * a) + ".\n" +
                  boxed(std::to_string(a * a)),
              std::to_string(a * a), "Algebra", 1};
    }
    case 4: {
      const long b = uniform_int(rng, 3, 6), a = uniform_int(rng, b + 1, 30), m = b * (a / b);
      return {"Find the remainder when $" + std::to_string(a) + "$ is divided by $" + std::to_string(b) + "$.",
              std::to_string(b) + " * " + std::to_string(a / b) + " = " + std::to_string(m) + ". " +
                  std::to_string(a) + " - " + std::to_string(m) + " = " + std::to_string(a % b) + ".\n" +
                  boxed(std::to_string(a % b)),
              std::to_string(a % b), "Number Theory", 2};
    }
    default: {
      const long n = uniform_int(rng, 3, 9), p = n * (n + 1), s = p / 2;
      return {"What is the sum of the first $" + std::to_string(n) + "$ positive integers?",
              std::to_string(n) + " * " + std::to_string(n + 1) + " = " + std::to_string(p) + ". " +
                  std::to_string(p) + " / 2 = " + std::to_string(s) + ".\n" + boxed(std::to_string(s)),
              std::to_string(s), "Algebra", 3};
    }
  }
}

std::string subject_dir(const std::string& subject) {
  std::string out;
  for (char c : subject) out += c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::vector<json> make_gsm8k(uint64_t seed, int stream, const std::vector<Part>& parts) {
  Rng rng = Rng::stream(seed, 100 + static_cast<uint64_t>(stream), RngPurpose::generic);
  std::vector<json> out;
  out.reserve(parts.size());
  FileDraws draws(Family::gsm8k);
  for (const Part part : parts) {
    out.push_back(draws.next(rng, part, [](Rng& r) {
      const Problem p = gsm8k_problem(r);
      return json{{"question", p.question}, {"answer", p.reasoning + "\n#### " + std::to_string(p.answer)}};
    }));
  }
  return out;
}

std::vector<json> make_math(uint64_t seed, const std::vector<Part>& parts) {
  Rng rng = Rng::stream(seed, 200, RngPurpose::generic);
  std::vector<json> out;
  out.reserve(parts.size());
  FileDraws draws(Family::math);
  for (size_t i = 0; i < parts.size(); ++i) {
    json r = draws.next(rng, parts[i], [](Rng& g) {
      const MathProblem p = math_problem(g);
      return json{{"problem", p.problem}, {"solution", p.solution}, {"answer", p.answer},
                  {"subject", p.subject}, {"level", p.level}};
    });
    r["unique_id"] = std::string(parts[i] == Part::valid ? "valid/" : "test/") + subject_dir(r["subject"]) + "/" +
                     std::to_string(i) + ".json";
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace t2::mini
