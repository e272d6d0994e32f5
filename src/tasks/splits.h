// Dataset splits and few-shot selection (PROTOCOL §2 and §5): even/odd train/valid halves of the
// GSM8K and ARC-Easy train files, the seeded MBPP 200/100/rest split, and the first-n-of-a-seeded-
// shuffle few-shot sets. Shuffles use t2::Rng streams (purpose shuffle), so they are reproducible
// on any machine, but they are not the reference's NumPy permutations: the same seeds select other
// items than the reference did (docs/tasks.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace t2::tasks {

enum class Split { train, valid, test, transfer };
const char* split_name(Split s);

constexpr uint64_t kMbppSplitSeed = 42;
constexpr size_t kMbppTrain = 200;
constexpr size_t kMbppValid = 100;
constexpr uint64_t kFewShotSeedArcChallenge = 38;
constexpr uint64_t kFewShotSeedHumanEval = 16;
constexpr uint64_t kFewShotSeedMath = 27;

// A permutation of 0..n-1 (Fisher–Yates driven by Rng::stream(seed, 0, shuffle)).
std::vector<size_t> seeded_permutation(size_t n, uint64_t seed);

// Even indices (train) or odd indices (valid) of a train file with n records.
std::vector<size_t> even_odd_split(size_t n, Split which);

// MBPP: shuffle all n problems with the seed; the first 200 are train, the next 100 valid, the
// rest test. Needs n >= 300.
std::vector<size_t> mbpp_split(size_t n, Split which, uint64_t seed = kMbppSplitSeed);

// The split of a task's training file the method uses (PROTOCOL §2), in one place for `t2 train`
// and the demo: MBPP's seeded 200 / 100 / rest (train, valid, test), otherwise the even (train) /
// odd (valid) halves; a task's test split lives in its own file then (empty here).
std::vector<size_t> training_split(const std::string& task, size_t n, Split which);

struct FewShot {
  std::vector<size_t> shots;  // the first n_shots of the shuffle, in shuffle order
  std::vector<size_t> rest;   // the others, in file order
};
FewShot few_shot_split(size_t n, size_t n_shots, uint64_t seed);

// The few-shot seed of a target task: arc (ARC-Challenge) 38, humaneval 16, math 27.
uint64_t few_shot_seed(const std::string& task);

}  // namespace t2::tasks
