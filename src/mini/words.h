// Shared word lists and small helpers of the mini suite generators (internal header).
#pragma once

#include <string>
#include <vector>

#include "base/rng.h"

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

}  // namespace t2::mini
