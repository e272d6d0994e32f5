// ARC-like multiple-choice questions: ARC-Easy-like (training task: comparisons, sums and simple
// facts) and ARC-Challenge-like (unseen: second-largest, two-step sums, parity, legs, combined
// facts), with the real files' label styles (ABCD, and for the challenge set also 1234, ABC, ABCDE).
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "mini/mini.h"
#include "mini/words.h"

namespace t2::mini {
namespace {

using nlohmann::json;

struct Question {
  std::string stem;
  std::string correct;
  std::vector<std::string> distractors;
};

struct Fact {
  std::string stem;
  std::vector<std::string> yes, no;
};

const std::vector<Fact>& easy_facts() {
  static const std::vector<Fact> f = {
      {"Which animal can fly?", {"bird", "bee", "bat", "owl", "eagle", "duck"},
       {"fish", "dog", "cat", "cow", "horse", "snake", "frog", "pig"}},
      {"Which animal lives in water?", {"fish", "whale", "shark", "crab", "octopus", "dolphin"},
       {"dog", "cat", "cow", "horse", "lion", "goat", "owl", "bee"}},
      {"Which of these is a color?", {"red", "blue", "green", "yellow", "purple", "orange"},
       {"table", "river", "chair", "stone", "cloud", "book", "spoon", "shoe"}},
      {"Which of these is a fruit?", {"apple", "banana", "grape", "pear", "mango", "cherry"},
       {"rock", "shoe", "pencil", "hammer", "chair", "cloud", "brick", "coin"}},
      {"Which of these is a planet?", {"Mars", "Venus", "Earth", "Jupiter", "Saturn"},
       {"Moon", "Sun", "comet", "cloud", "ocean", "mountain"}},
      {"Which of these is a liquid at room temperature?", {"water", "milk", "juice", "oil"},
       {"ice", "stone", "wood", "salt", "sand", "iron"}},
  };
  return f;
}

const std::vector<std::pair<std::string, std::string>>& opposites() {
  static const std::vector<std::pair<std::string, std::string>> v = {
      {"hot", "cold"},   {"big", "small"},  {"up", "down"},      {"fast", "slow"},
      {"wet", "dry"},    {"day", "night"},  {"open", "closed"},  {"full", "empty"},
      {"light", "dark"}, {"loud", "quiet"}, {"high", "low"},     {"early", "late"}};
  return v;
}

const std::vector<std::pair<std::string, int>>& legs() {
  static const std::vector<std::pair<std::string, int>> v = {
      {"spider", 8}, {"dog", 4}, {"cat", 4}, {"bird", 2}, {"ant", 6}, {"bee", 6},
      {"horse", 4},  {"duck", 2}, {"cow", 4}, {"beetle", 6}, {"owl", 2}, {"crab", 10}};
  return v;
}

std::vector<long> distinct_numbers(Rng& rng, int n, long lo, long hi) {
  std::vector<long> v;
  while (static_cast<int>(v.size()) < n) {
    const long x = uniform_int(rng, lo, hi);
    if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
  }
  return v;
}

// Numeric distractors near the correct value, all distinct and non-negative.
std::vector<std::string> near_numbers(Rng& rng, long correct, int n) {
  std::vector<long> used = {correct};
  std::vector<std::string> out;
  while (static_cast<int>(out.size()) < n) {
    long d = correct + uniform_int(rng, -5, 5);
    if (d < 0 || std::find(used.begin(), used.end(), d) != used.end()) continue;
    used.push_back(d);
    out.push_back(std::to_string(d));
  }
  return out;
}

std::vector<std::string> to_text(const std::vector<long>& v) {
  std::vector<std::string> s;
  for (long x : v) s.push_back(std::to_string(x));
  return s;
}

Question easy_question(Rng& rng, int n_opt) {
  switch (rng.below(5)) {
    case 0:
    case 1: {
      const bool largest = rng.below(2) == 0;
      auto v = distinct_numbers(rng, n_opt, 1, 30);
      long best = v[0];
      for (long x : v) best = largest ? std::max(best, x) : std::min(best, x);
      std::vector<long> rest;
      for (long x : v)
        if (x != best) rest.push_back(x);
      return {largest ? "Which number is the largest?" : "Which number is the smallest?",
              std::to_string(best), to_text(rest)};
    }
    case 2: {
      const long a = uniform_int(rng, 1, 9), b = uniform_int(rng, 1, 9);
      return {"What is " + std::to_string(a) + " plus " + std::to_string(b) + "?", std::to_string(a + b),
              near_numbers(rng, a + b, n_opt - 1)};
    }
    case 3: {
      const Fact& f = pick(rng, easy_facts());
      auto no = f.no;
      shuffle(rng, no);
      no.resize(n_opt - 1);
      return {f.stem, pick(rng, f.yes), no};
    }
    default: {
      const auto& all = opposites();
      const auto& p = pick(rng, all);
      const bool flip = rng.below(2) == 0;
      const std::string word = flip ? p.second : p.first, answer = flip ? p.first : p.second;
      std::vector<std::string> others;
      for (const auto& q : all)
        if (q.first != p.first) others.push_back(rng.below(2) ? q.first : q.second);
      shuffle(rng, others);
      others.resize(n_opt - 1);
      return {"What is the opposite of " + word + "?", answer, others};
    }
  }
}

Question challenge_question(Rng& rng, int n_opt) {
  switch (rng.below(5)) {
    case 0: {
      auto v = distinct_numbers(rng, n_opt, 1, 30);
      auto sorted = v;
      std::sort(sorted.rbegin(), sorted.rend());
      std::vector<long> rest;
      for (long x : v)
        if (x != sorted[1]) rest.push_back(x);
      return {"Which number is the second largest?", std::to_string(sorted[1]), to_text(rest)};
    }
    case 1: {
      const long a = uniform_int(rng, 2, 9), b = uniform_int(rng, 1, 9), c = uniform_int(rng, 1, a);
      return {"What is " + std::to_string(a) + " plus " + std::to_string(b) + " minus " +
                  std::to_string(c) + "?",
              std::to_string(a + b - c), near_numbers(rng, a + b - c, n_opt - 1)};
    }
    case 2: {
      const bool want_even = rng.below(2) == 0;
      long answer = 2 * uniform_int(rng, 1, 30) + (want_even ? 0 : 1);
      std::vector<std::string> rest;
      std::vector<long> used = {answer};
      while (static_cast<int>(rest.size()) < n_opt - 1) {
        const long x = 2 * uniform_int(rng, 1, 30) + (want_even ? 1 : 0);
        if (std::find(used.begin(), used.end(), x) != used.end()) continue;
        used.push_back(x);
        rest.push_back(std::to_string(x));
      }
      return {want_even ? "Which number is even?" : "Which number is odd?", std::to_string(answer), rest};
    }
    case 3: {
      const auto& [animal, n] = pick(rng, legs());
      return {"How many legs does a " + animal + " have?", std::to_string(n),
              [&] {
                std::vector<std::string> d;
                for (int x : {2, 4, 6, 8, 10, 3, 5})
                  if (x != n && static_cast<int>(d.size()) < n_opt - 1) d.push_back(std::to_string(x));
                shuffle(rng, d);
                return d;
              }()};
    }
    default: {
      // Which X is not a Y: one "no" item among "yes" items.
      const Fact& f = pick(rng, easy_facts());
      auto yes = f.yes;
      shuffle(rng, yes);
      yes.resize(std::min<size_t>(yes.size(), n_opt - 1));
      std::string stem = f.stem;
      // "Which of these is a fruit?" -> "Which of these is NOT a fruit?"
      const auto pos = stem.find(" is ");
      const auto pos2 = stem.find(" can ");
      const auto pos3 = stem.find(" lives ");
      if (pos != std::string::npos) stem.insert(pos + 4, "not ");
      else if (pos2 != std::string::npos) stem.replace(pos2, 5, " cannot ");
      else if (pos3 != std::string::npos) stem.replace(pos3, 7, " does not live ");
      return {stem, pick(rng, f.no), yes};
    }
  }
}

}  // namespace

std::vector<json> make_arc(uint64_t seed, int stream, const std::vector<Part>& parts, bool challenge,
                           const std::string& id_prefix) {
  Rng rng = Rng::stream(seed, 500 + static_cast<uint64_t>(stream), RngPurpose::generic);
  std::vector<json> out;
  FileDraws draws(Family::arc);
  for (size_t i = 0; i < parts.size(); ++i) {
    json r = draws.next(rng, parts[i], [&](Rng& g) {
      std::string labels = "ABCD";
      if (challenge) {
        const uint64_t style = g.below(10);
        if (style == 0) labels = "1234";
        else if (style == 1) labels = "ABC";
        else if (style == 2) labels = "ABCDE";
      }
      const int n_opt = static_cast<int>(labels.size());
      Question q = challenge ? challenge_question(g, n_opt) : easy_question(g, n_opt);
      T2_CHECK(static_cast<int>(q.distractors.size()) == n_opt - 1, "arc generator: option count");
      std::vector<std::string> options = q.distractors;
      options.push_back(q.correct);
      shuffle(g, options);
      json choices = json::array();
      std::string key;
      for (int k = 0; k < n_opt; ++k) {
        const std::string label(1, labels[k]);
        choices.push_back({{"text", options[k]}, {"label", label}});
        if (options[k] == q.correct) key = label;
      }
      return json{{"question", {{"stem", q.stem}, {"choices", choices}}}, {"answerKey", key}};
    });
    char id[32];
    std::snprintf(id, sizeof id, "%06zu", i);
    r["id"] = id_prefix + id;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace t2::mini
