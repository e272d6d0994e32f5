// Assembles the mini suite's files under the real datasets' names, each split from its part of the
// partition, and writes them.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/file.h"
#include "mini/mini.h"
#include "tasks/splits.h"

namespace t2::mini {

namespace {

// The parts of a file's records: all pretraining for the pretraining suite; else a train file
// alternates train (even index) and valid (odd), mbpp.jsonl follows tasks::mbpp_split, a test file
// is test, a validation file (the unseen tasks') valid.
enum class Layout { even_odd, mbpp, test, valid };
std::vector<Part> parts_of(const SuiteOptions& o, Layout layout, int n, const char* what) {
  T2_CHECK(n >= 0, "mini suite: negative size %d for %s", n, what);
  const Part whole = o.pretraining ? Part::pretraining : layout == Layout::valid ? Part::valid : Part::test;
  std::vector<Part> parts(static_cast<size_t>(n), whole);
  if (o.pretraining || layout == Layout::test || layout == Layout::valid) return parts;
  if (layout == Layout::even_odd) {
    for (size_t i = 0; i < parts.size(); ++i) parts[i] = i % 2 == 0 ? Part::train : Part::valid;
  } else if (parts.size() >= tasks::kMbppTrain + tasks::kMbppValid) {  // smaller: all test
    for (size_t i : tasks::mbpp_split(parts.size(), tasks::Split::train)) parts[i] = Part::train;
    for (size_t i : tasks::mbpp_split(parts.size(), tasks::Split::valid)) parts[i] = Part::valid;
  }
  return parts;
}

}  // namespace

std::vector<nlohmann::json> make_gsm8k(uint64_t seed, int stream, int n, Part part) {
  T2_CHECK(n >= 0, "gsm8k: negative size %d", n);
  return make_gsm8k(seed, stream, std::vector<Part>(static_cast<size_t>(n), part));
}

std::vector<SuiteFile> generate_suite(const SuiteOptions& o) {
  auto parts = [&](Layout l, int n, const char* what) { return parts_of(o, l, n, what); };
  std::vector<SuiteFile> files;
  files.push_back({"gsm8k/train.jsonl", make_gsm8k(o.seed, 0, parts(Layout::even_odd, o.n_gsm8k_train, "gsm8k-train"))});
  files.push_back({"gsm8k/test.jsonl", make_gsm8k(o.seed, 1, parts(Layout::test, o.n_gsm8k_test, "gsm8k-test"))});
  files.push_back({"mbpp/mbpp.jsonl", make_mbpp(o.seed, parts(Layout::mbpp, o.n_mbpp, "mbpp"))});
  files.push_back({"arc/ARC-Easy-Train.jsonl",
                   make_arc(o.seed, 0, parts(Layout::even_odd, o.n_arc_easy_train, "arc-easy-train"), false, "MiniEasyTrain_")});
  files.push_back({"arc/ARC-Easy-Test.jsonl",
                   make_arc(o.seed, 1, parts(Layout::test, o.n_arc_easy_test, "arc-easy-test"), false, "MiniEasyTest_")});
  files.push_back({"math/test.jsonl", make_math(o.seed, parts(Layout::test, o.n_math_test, "math-test"))});
  files.push_back({"humaneval/HumanEval.jsonl", make_humaneval(o.seed, parts(Layout::test, o.n_humaneval, "humaneval"))});
  // Validation files of the unseen tasks: their own part, so no item is shared with the test file.
  files.push_back({"math/valid.jsonl", make_math(o.seed, parts(Layout::valid, o.n_math_valid, "math-valid"))});
  files.push_back({"humaneval/valid.jsonl",
                   make_humaneval(o.seed, parts(Layout::valid, o.n_humaneval_valid, "humaneval-valid"))});
  files.push_back({"arc/ARC-Challenge-Test.jsonl",
                   make_arc(o.seed, 2, parts(Layout::test, o.n_arc_challenge_test, "arc-challenge-test"), true,
                            "MiniChallengeTest_")});
  return files;
}

size_t write_suite(const std::vector<SuiteFile>& files, const std::string& dir) {
  size_t n = 0;
  for (const auto& f : files) {
    const std::filesystem::path path = std::filesystem::path(dir) / f.path;
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    T2_CHECK(!ec, "cannot create folder '%s': %s", path.parent_path().c_str(), ec.message().c_str());
    std::string text;
    for (const auto& r : f.records) {
      text += r.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
      text += '\n';
    }
    io::write_file_atomic(path.string(), text);
    n += f.records.size();
  }
  return n;
}

}  // namespace t2::mini
