// Shared word lists and small helpers of the mini suite generators, and the draw from one part of
// the partition (internal header).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/rng.h"
#include "mini/partition.h"

namespace t2::mini {

inline const std::vector<std::string>& person_names() {
  static const std::vector<std::string> v = {"Ava", "Ben", "Cara", "Dan", "Eli", "Finn", "Gia", "Hal",
                                             "Ivy", "Jon", "Kim", "Leo", "Mia", "Ned", "Oli", "Pam",
                                             "Quin", "Rosa", "Sam", "Tess"};
  return v;
}

inline const std::vector<std::string>& object_names() {
  static const std::vector<std::string> v = {"apples", "pens", "books", "coins", "cards", "eggs",
                                             "shells", "stamps", "cups", "balls", "rocks", "seeds"};
  return v;
}

template <class T>
const T& pick(Rng& rng, const std::vector<T>& v) {
  return v[rng.below(v.size())];
}

// Uniform integer in [lo, hi].
inline long uniform_int(Rng& rng, long lo, long hi) {
  return lo + static_cast<long>(rng.below(static_cast<uint64_t>(hi - lo + 1)));
}

// Fisher–Yates shuffle driven by rng.
template <class T>
void shuffle(Rng& rng, std::vector<T>& v) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

// One record of the family from part `want`: draws with `draw(rng)` until the drawn problem belongs
// to that part (partition.h). Throws when 100000 draws found none.
template <class Draw>
nlohmann::json draw_from_part(Rng& rng, Family family, Part want, Draw&& draw) {
  for (int tries = 0; tries < 100000; ++tries) {
    nlohmann::json r = draw(rng);
    if (problem_part(family, problem_key(family, r)) == want) return r;
  }
  T2_FAIL("mini %s generator: no problem of the %s part in 100000 draws", family_name(family), part_name(want));
}

}  // namespace t2::mini
