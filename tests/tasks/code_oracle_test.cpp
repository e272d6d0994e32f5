// Code oracle on a representative subset (unit label): every 8th HumanEval problem, every 40th
// MBPP problem and the two MBPP problems with test_setup_code; canonical solutions pass, broken
// ones fail. code_full_test.cpp runs all of them (label slow).
#include "code_oracle.h"

namespace t2::tasks {
namespace {

void subset_run(const char* name, const char* file, size_t step) {
  auto task = make_task(name);
  const Dataset ds = task->load(file);
  ASSERT_TRUE(ds.errors.empty());
  std::vector<const Sample*> picked;
  for (size_t i = 0; i < ds.samples.size(); ++i) {
    const auto& s = ds.samples[i];
    const bool has_setup = s.extra.contains("test_setup_code") &&
                           !s.extra.at("test_setup_code").get<std::string>().empty();
    if (i % step == 0 || has_setup) picked.push_back(&s);
  }
  sandbox::Limits limits;
  limits.wall_seconds = 20;
  sandbox::Sandbox sb(limits, 0);
  const auto rep = run_code_oracle(*task, picked, sb);
  EXPECT_EQ(rep.gold_pass, rep.n);
  EXPECT_EQ(rep.perturbed_pass, 0u);
}

TEST(CodeOracle, HumanEvalSubset) { subset_run("humaneval", "../shared/datasets/humaneval/HumanEval.jsonl.gz", 8); }
TEST(CodeOracle, MbppSubset) { subset_run("mbpp", "../shared/datasets/mbpp/mbpp.jsonl", 40); }

TEST(CodeOracle, NotRunWithoutSandbox) {
  auto task = make_task("mbpp");
  const Dataset ds = task->load("../shared/datasets/mbpp/mbpp.jsonl");
  const Verdict v = task->score(ds.samples[0], task->gold_completion(ds.samples[0]), {});
  EXPECT_EQ(v.status, "not_run");
  EXPECT_FALSE(v.correct);
}

}  // namespace
}  // namespace t2::tasks
