// The suite of `t2 demo` and the test files it compares base and experts on, defined once: the
// demo (src/cli/cmd_demo.cpp) generates its suite with these sizes through `t2 mini-suite`, whose
// size options come from the same table, and tests/mini/partition_test.cpp checks the partition
// on exactly these sizes, so the three cannot drift apart.
//
// Paired test files: `t2 train` takes the MBPP test split from inside mbpp.jsonl and builds the
// cls sets itself; the demo writes both out as files so that `t2 eval` runs the base model and
// each expert on the same samples, in the same order, as the training's test figures.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mini/mini.h"

namespace t2::mini {

// One size option of `t2 mini-suite`: its name (without "--"), the field it sets, its help text.
struct SizeOption {
  const char* name;
  int SuiteOptions::*field;
  const char* help;
};
const std::vector<SizeOption>& size_options();

// The demo's suite for a seed. Full: 200-record test files, 400-record train files (200 train /
// 200 valid), 500 MBPP problems (200 / 100 / 200 test); quick: a few dozen records per file,
// enough to run every stage.
SuiteOptions demo_suite_options(uint64_t seed, bool quick);

// The command-line options that give o's sizes: {"--gsm8k-train", "400", ...}, every size option.
std::vector<std::string> size_arguments(const SuiteOptions& o);

// The training tasks' files that the cls task is built from, in the order `t2 train
// --cls-sources` receives them: (task, path relative to the suite folder).
const std::vector<std::pair<std::string, std::string>>& cls_source_files();

// Writes <suite>/mbpp/test.jsonl (the records of mbpp.jsonl in tasks::mbpp_split test order,
// byte for byte) and <suite>/cls/test.jsonl: the cls test set tasks::build_classification_sets
// makes from the training splits of cls_source_files() with this seed, as `t2 train --task cls
// --seed SEED` does, LESS every sample whose question text is also in the cls training set (t2
// train's train and valid samples), one {"id", "question", "label"} line each. The mini world's
// MBPP-like descriptions are a few dozen templates ("Write a function to sort a list."), so a
// code question of the cls test set is always a training question too; the GSM8K- and ARC-like
// questions are distinct items. Without the filter the cls test would score memorised labels.
struct PairedTestFiles {
  size_t n_mbpp = 0;         // records of mbpp/test.jsonl
  size_t n_cls = 0;          // records of cls/test.jsonl
  size_t n_cls_dropped = 0;  // cls test samples left out: their question is a training question
};
PairedTestFiles write_paired_test_files(const std::string& suite_dir, uint64_t seed);

}  // namespace t2::mini
