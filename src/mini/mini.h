// The embedded mini suite: a deterministic, seeded generator of small tasks written in the real
// benchmark files' schemas (GSM8K, MATH, MBPP, HumanEval, ARC), so that the same loaders, prompts,
// scorers and code sandbox run on them. Training tasks (GSM8K-, MBPP-, ARC-Easy-like) and unseen
// tasks (MATH-, HumanEval-, ARC-Challenge-like) share vocabulary but not templates. Numbers are
// small (operands up to 9, products up to 6 x 6, options up to 30), so that the mini model can
// learn the arithmetic its worked answers need. Every problem belongs to one part of a fixed
// partition of the problem space (partition.h): the pretraining suite draws only from the
// pretraining part, a demo suite each split from its own part, so test items are unseen.
// This module writes records (and, for the corpus, their prompts as src/tasks builds them); it
// knows nothing of models or scoring.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mini/partition.h"

namespace t2::mini {

// Sizes of each generated file; the defaults are what datasets/mini ships.
struct SuiteOptions {
  uint64_t seed = 2025;
  // false: a demo suite, each split from its part (train files: even records train, odd valid, as
  // tasks::even_odd_split; mbpp.jsonl as tasks::mbpp_split; test files test). true: the
  // pretraining suite, every record from the pretraining part.
  bool pretraining = false;
  int n_gsm8k_train = 2000;
  int n_gsm8k_test = 300;
  int n_math_test = 300;
  int n_math_valid = 0;  // validation files of the unseen tasks (their valid part): none by default
  int n_mbpp = 600;
  int n_humaneval = 150;
  int n_humaneval_valid = 0;
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

// Generators of one family each: record i is drawn from part parts[i] (its id follows i). `stream`
// selects an independent random stream (train vs test files).
std::vector<nlohmann::json> make_gsm8k(uint64_t seed, int stream, const std::vector<Part>& parts);
std::vector<nlohmann::json> make_math(uint64_t seed, const std::vector<Part>& parts);
std::vector<nlohmann::json> make_mbpp(uint64_t seed, const std::vector<Part>& parts);
std::vector<nlohmann::json> make_humaneval(uint64_t seed, const std::vector<Part>& parts);
// challenge = false: ARC-Easy-like; true: ARC-Challenge-like (harder kinds, label styles 1234/ABC/ABCDE).
std::vector<nlohmann::json> make_arc(uint64_t seed, int stream, const std::vector<Part>& parts, bool challenge,
                                     const std::string& id_prefix);
// n GSM8K-like records from one part (test fixtures of other modules).
std::vector<nlohmann::json> make_gsm8k(uint64_t seed, int stream, int n, Part part = Part::test);

// The whole suite, in a fixed order.
std::vector<SuiteFile> generate_suite(const SuiteOptions& options);

// Writes every file under dir (creating folders), one JSON object per line, LF, final newline,
// each file published atomically. Returns the number of records written.
size_t write_suite(const std::vector<SuiteFile>& files, const std::string& dir);

// The prompts of a suite's records as the tasks build them (src/tasks, default templates), each
// rendered in the Llama-3 chat format with the assistant pre-fill: files "prompts/<path>" with one
// {"prompt", "cls_prompt"} line per record of <path> (cls_prompt: the record's question under the
// classification prompt). The corpus writer (datasets/mini/make_tokenizer.py) appends answers to
// them, so the model is pretrained on exactly the prompts it is evaluated with.
std::vector<SuiteFile> prompt_files(const std::vector<SuiteFile>& suite);

}  // namespace t2::mini
