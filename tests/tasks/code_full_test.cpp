// The benchmark (label slow): all 974 MBPP and 164 HumanEval canonical solutions scored
// with full isolation, 100 % expected; broken solutions 0 %. Prints wall time and programs/s.
#include <cstdio>

#include "code_oracle.h"

namespace t2::tasks {
namespace {

void full_run(const char* name, const char* file, size_t expected) {
  auto task = make_task(name);
  const Dataset ds = task->load(file);
  ASSERT_TRUE(ds.errors.empty());
  ASSERT_EQ(ds.samples.size(), expected);
  std::vector<const Sample*> all;
  for (const auto& s : ds.samples) all.push_back(&s);
  sandbox::Limits limits;
  limits.wall_seconds = 30;  // MBPP 123 alone takes ~3 s; leave room for a busy machine
  limits.cpu_seconds = 30;
  sandbox::Sandbox sb(limits, 0);
  const auto rep = run_code_oracle(*task, all, sb);
  std::printf("%s: %zu/%zu canonical pass, %zu broken pass; %.1f s wall, %.1f programs/s, %d at once, %s isolation\n",
              name, rep.gold_pass, rep.n, rep.perturbed_pass, rep.seconds, rep.n / rep.seconds,
              sb.n_parallel(), sandbox::isolation_name(sb.isolation()));
  EXPECT_EQ(rep.gold_pass, rep.n);
  EXPECT_EQ(rep.perturbed_pass, 0u);
}

TEST(CodeFull, HumanEvalAll) { full_run("humaneval", "../shared/datasets/humaneval/HumanEval.jsonl.gz", 164); }
TEST(CodeFull, MbppAll) { full_run("mbpp", "../shared/datasets/mbpp/mbpp.jsonl", 974); }

}  // namespace
}  // namespace t2::tasks
