// Implementation of the split and few-shot selection helpers.
#include "tasks/splits.h"

#include <algorithm>

#include "base/error.h"
#include "base/rng.h"

namespace t2::tasks {

const char* split_name(Split s) {
  switch (s) {
    case Split::train: return "train";
    case Split::valid: return "valid";
    case Split::test: return "test";
    case Split::transfer: return "transfer";
  }
  return "?";
}

std::vector<size_t> seeded_permutation(size_t n, uint64_t seed) {
  std::vector<size_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = i;
  Rng rng = Rng::stream(seed, 0, RngPurpose::shuffle);
  for (size_t i = n; i > 1; --i) std::swap(p[i - 1], p[rng.below(i)]);
  return p;
}

std::vector<size_t> even_odd_split(size_t n, Split which) {
  T2_CHECK(which == Split::train || which == Split::valid,
           "even/odd split of a train file gives train or valid, not %s", split_name(which));
  std::vector<size_t> out;
  for (size_t i = which == Split::train ? 0 : 1; i < n; i += 2) out.push_back(i);
  return out;
}

std::vector<size_t> mbpp_split(size_t n, Split which, uint64_t seed) {
  T2_CHECK(n >= kMbppTrain + kMbppValid, "MBPP split needs at least %zu problems, found %zu",
           kMbppTrain + kMbppValid, n);
  T2_CHECK(which != Split::transfer, "MBPP has no transfer split (HumanEval is MBPP's transfer task)");
  const auto p = seeded_permutation(n, seed);
  const size_t b = which == Split::train ? 0 : which == Split::valid ? kMbppTrain : kMbppTrain + kMbppValid;
  const size_t e = which == Split::train ? kMbppTrain : which == Split::valid ? kMbppTrain + kMbppValid : n;
  return std::vector<size_t>(p.begin() + static_cast<long>(b), p.begin() + static_cast<long>(e));
}

std::vector<size_t> training_split(const std::string& task, size_t n, Split which) {
  if (task == "mbpp") return mbpp_split(n, which);
  if (which == Split::test || which == Split::transfer) return {};
  return even_odd_split(n, which);
}

FewShot few_shot_split(size_t n, size_t n_shots, uint64_t seed) {
  T2_CHECK(n_shots < n, "few-shot selection: asked for %zu shots from %zu samples; need fewer shots "
           "than samples", n_shots, n);
  const auto p = seeded_permutation(n, seed);
  FewShot f;
  f.shots.assign(p.begin(), p.begin() + static_cast<long>(n_shots));
  std::vector<bool> is_shot(n, false);
  for (size_t i : f.shots) is_shot[i] = true;
  for (size_t i = 0; i < n; ++i)
    if (!is_shot[i]) f.rest.push_back(i);
  return f;
}

uint64_t few_shot_seed(const std::string& task) {
  if (task == "arc") return kFewShotSeedArcChallenge;
  if (task == "humaneval") return kFewShotSeedHumanEval;
  if (task == "math") return kFewShotSeedMath;
  T2_FAIL("no few-shot seed for task '%s'; the few-shot targets are arc (ARC-Challenge), humaneval "
          "and math", task.c_str());
}

}  // namespace t2::tasks
