// Shared word lists and small helpers of the mini suite generators, and the draw from one part of
// the partition (internal header).
#pragma once

#include <nlohmann/json.hpp>
#include <set>
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

// The records of one file, each from a given part of the partition (partition.h), distinct while
// the part has unused problems: a draw is kept when its problem is in the wanted part and not yet
// in the file; after 2000 draws without a new problem the part is taken as exhausted and, for the
// rest of the file, repeats are kept too (the pretraining suite asks for more records than some
// parts hold). Throws when 100000 draws found no problem of the part at all.
class FileDraws {
 public:
  explicit FileDraws(Family family) : family_(family) {}

  template <class Draw>
  nlohmann::json next(Rng& rng, Part want, Draw&& draw) {
    int since_new = 0;
    for (int tries = 0; tries < 100000; ++tries) {
      nlohmann::json r = draw(rng);
      const std::string key = problem_key(family_, r);
      if (problem_part(family_, key) != want) continue;
      if (seen_.insert(key).second) return r;
      if (repeats_ || ++since_new >= 2000) {
        repeats_ = true;
        return r;
      }
    }
    T2_FAIL("mini %s generator: no problem of the %s part in 100000 draws", family_name(family_), part_name(want));
  }

 private:
  Family family_;
  std::set<std::string> seen_;
  bool repeats_ = false;
};

}  // namespace t2::mini
