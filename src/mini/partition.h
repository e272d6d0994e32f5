// The partition of the mini world's problem space: every problem the generators can produce
// belongs, by a hash of its canonical content, to exactly one part — pretraining, train, valid or
// test — whatever the seed that draws it. The pretraining suite (the corpus) draws only from the
// pretraining part and a demo suite draws each split from its own part, so no test item can be in
// the corpus or a training split: "unseen" is unseen by construction.
//
// Canonical content (the same problem and answer; for multiple choice the same stem and option
// set, in any order and with any labels):
//   gsm8k      the question (it fixes the answer);
//   math       the problem;
//   mbpp       the description, the reference code and the first test (what the default prompt
//              shows, and the answer);
//   humaneval  the prompt (signature, docstring, example) and the canonical solution;
//   arc        the stem and the set of option texts (ARC-Easy- and ARC-Challenge-like together).
// Shares of each family's space: training families (gsm8k, mbpp, arc) pretraining 50 %, train
// 25 %, valid 10 %, test 15 %; unseen families (math, humaneval) pretraining 50 %, valid 10 %, test
// 40 % (no expert trains on them; their valid files are for choosing a recipe without reading a
// test figure).
// The generators draw until a problem of the wanted part comes (words.h FileDraws), and keep a
// file's problems distinct while the part has unused ones.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace t2::mini {

enum class Part { pretraining, train, valid, test };
const char* part_name(Part p);

enum class Family { gsm8k, math, mbpp, humaneval, arc };
const char* family_name(Family f);

// The canonical content of a generated record of the family (see above).
std::string problem_key(Family family, const nlohmann::json& record);

// The part a problem belongs to: a fixed function of (family, key), the same on every machine.
Part problem_part(Family family, const std::string& key);

}  // namespace t2::mini
