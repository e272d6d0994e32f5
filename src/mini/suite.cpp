// Assembles the mini suite's files under the real datasets' names and writes them.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/file.h"
#include "mini/mini.h"

namespace t2::mini {

std::vector<SuiteFile> generate_suite(const SuiteOptions& o) {
  std::vector<SuiteFile> files;
  files.push_back({"gsm8k/train.jsonl", make_gsm8k(o.seed, 0, o.n_gsm8k_train)});
  files.push_back({"gsm8k/test.jsonl", make_gsm8k(o.seed, 1, o.n_gsm8k_test)});
  files.push_back({"mbpp/mbpp.jsonl", make_mbpp(o.seed, o.n_mbpp)});
  files.push_back({"arc/ARC-Easy-Train.jsonl", make_arc(o.seed, 0, o.n_arc_easy_train, false, "MiniEasyTrain_")});
  files.push_back({"arc/ARC-Easy-Test.jsonl", make_arc(o.seed, 1, o.n_arc_easy_test, false, "MiniEasyTest_")});
  files.push_back({"math/test.jsonl", make_math(o.seed, o.n_math_test)});
  files.push_back({"humaneval/HumanEval.jsonl", make_humaneval(o.seed, o.n_humaneval)});
  files.push_back({"arc/ARC-Challenge-Test.jsonl", make_arc(o.seed, 2, o.n_arc_challenge_test, true, "MiniChallengeTest_")});
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
