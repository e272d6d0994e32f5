// The embedded mini suite: a deterministic, seeded generator of small tasks written in the real
// benchmark files' schemas (GSM8K, MATH, MBPP, HumanEval, ARC), so that the same loaders, prompts,
// scorers and code sandbox run on them. Training tasks (GSM8K-, MBPP-, ARC-Easy-like) and unseen
// tasks (MATH-, HumanEval-, ARC-Challenge-like) share vocabulary but not templates. Numbers are
// small (operands up to 9, products up to 6 x 6, options up to 30), so that the mini model can
// learn the arithmetic its worked answers need.
// This module only writes records; it knows nothing of models or scoring.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace t2::mini {

// Sizes of each generated file; the defaults are what datasets/mini ships.
struct SuiteOptions {
  uint64_t seed = 2025;
  int n_gsm8k_train = 2000;
  int n_gsm8k_test = 300;
  int n_math_test = 300;
  int n_mbpp = 600;
  int n_humaneval = 150;
  int n_arc_easy_train = 1200;
  int n_arc_easy_test = 300;
  int n_arc_challenge_test = 300;
};

// One generated file: its path relative to the suite root (same names as the real datasets, e.g.
// "gsm8k/train.jsonl") and its records.
struct SuiteFile {
  std::string path;
  std::vector<nlohmann::json> records;
};

// Generators of one family each. `first_index` offsets ids so train/test files never share ids;
// `stream` selects an independent random stream (train vs test).
std::vector<nlohmann::json> make_gsm8k(uint64_t seed, int stream, int n);
std::vector<nlohmann::json> make_math(uint64_t seed, int n);
std::vector<nlohmann::json> make_mbpp(uint64_t seed, int n);
std::vector<nlohmann::json> make_humaneval(uint64_t seed, int n);
// challenge = false: ARC-Easy-like; true: ARC-Challenge-like (harder kinds, label styles 1234/ABC/ABCDE).
std::vector<nlohmann::json> make_arc(uint64_t seed, int stream, int n, bool challenge, const std::string& id_prefix);

// The whole suite, in a fixed order.
std::vector<SuiteFile> generate_suite(const SuiteOptions& options);

// Writes every file under dir (creating folders), one JSON object per line, LF, final newline,
// each file published atomically. Returns the number of records written.
size_t write_suite(const std::vector<SuiteFile>& files, const std::string& dir);

}  // namespace t2::mini
