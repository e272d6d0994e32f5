// Shared by the code oracle suites: canonical solutions must pass in the sandbox and solutions whose
// tested function is replaced by one returning None must fail. Header-only test helper.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "tasks/code_task.h"
#include "tasks/task.h"

namespace t2::tasks {

// The function the tests call: HumanEval's entry point, or the MBPP function defined by the gold
// code whose name the first test mentions.
inline std::string tested_function(const Task& task, const Sample& s) {
  if (task.name() == "humaneval") return s.extra.at("entry_point").get<std::string>();
  const std::string first_test = s.extra.at("test_list")[0].get<std::string>();
  static const std::regex def_re(R"(def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\()");
  std::string found;
  for (auto it = std::sregex_iterator(s.gold.begin(), s.gold.end(), def_re); it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1];
    const std::regex call("\\b" + name + "\\s*\\(");  // "is_Diff (12345)" in task 77
    if (std::regex_search(first_test, call)) found = name;
  }
  return found;
}

struct CodeOracleReport {
  size_t n = 0, gold_pass = 0, perturbed_pass = 0;
  double seconds = 0;
};

// Scores gold completions and perturbed ones for the selected samples; reports failures by id.
inline CodeOracleReport run_code_oracle(const Task& task, const std::vector<const Sample*>& samples,
                                        sandbox::Sandbox& sb) {
  ScoreOptions opts;
  opts.sandbox = &sb;
  std::vector<std::pair<const Sample*, std::string>> gold, broken;
  for (const Sample* s : samples) {
    gold.emplace_back(s, task.gold_completion(*s));
    const std::string fn = tested_function(task, *s);
    EXPECT_FALSE(fn.empty()) << s->id << ": cannot find the tested function";
    broken.emplace_back(s, s->gold + "\n\ndef " + fn + "(*args, **kwargs):\n    return None\n```\n");
  }
  CodeOracleReport rep;
  rep.n = samples.size();
  const auto t0 = std::chrono::steady_clock::now();
  const auto gv = task.score_many(gold, opts);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto bv = task.score_many(broken, opts);
  for (size_t i = 0; i < samples.size(); ++i) {
    rep.gold_pass += gv[i].correct;
    rep.perturbed_pass += bv[i].correct;
    EXPECT_TRUE(gv[i].correct) << task.name() << " " << samples[i]->id << ": canonical solution "
                               << gv[i].status;
    EXPECT_FALSE(bv[i].correct) << task.name() << " " << samples[i]->id << ": broken solution passed";
  }
  return rep;
}

}  // namespace t2::tasks
