// Prompt structure per PROTOCOL §3 (limits, stop strings, pre-fills) and the prompt-file format.
#include <gtest/gtest.h>

#include "base/error.h"
#include "tasks/classify.h"
#include "tasks/prompt.h"
#include "tasks/task.h"
#include "tasks/task_options.h"

namespace t2::tasks {
namespace {

TEST(Prompts, LimitsAndStopsFollowProtocol) {
  for (const char* name : {"gsm8k", "arc", "mbpp", "humaneval"}) {
    auto t = make_task(name);
    EXPECT_EQ(t->prompt_template().max_new_tokens, 512) << name;
    EXPECT_EQ(t->prompt_template().context_limit, 1024) << name;
    EXPECT_EQ(t->prompt_template().stop,
              (std::vector<std::string>{"Instruction:", "Instruction", "Response:", "Response"}));
  }
  for (const char* name : {"math", "cls"}) {
    auto t = make_task(name);
    EXPECT_EQ(t->prompt_template().max_new_tokens, 1024) << name;
    EXPECT_EQ(t->prompt_template().context_limit, 2048) << name;
  }
  EXPECT_THROW(make_task("gsm9k"), Error);
}

TEST(Prompts, CodePrefillsOpenAFence) {
  auto he = make_task("humaneval");
  const Sample s = he->parse_record({{"task_id", "HumanEval/0"}, {"prompt", "def f(x):\n    \"\"\"doc\"\"\"\n"},
                                     {"canonical_solution", "    return x\n"}, {"test", "def check(c): pass"},
                                     {"entry_point", "f"}}, 0);
  const Prompt p = he->build_prompt(s);
  EXPECT_EQ(p.prefill, "```python\ndef f(x):\n    \"\"\"doc\"\"\"\n");
  EXPECT_NE(p.user.find("def f(x):"), std::string::npos);
  auto mbpp = make_task("mbpp");
  const Sample m = mbpp->parse_record({{"task_id", 7}, {"text", "Add one."}, {"code", "def g(x): return x+1"},
                                       {"test_list", {"assert g(1) == 2", "assert g(2) == 3"}},
                                       {"test_setup_code", ""}, {"challenge_test_list", nlohmann::json::array()}}, 0);
  EXPECT_EQ(m.id, "7");
  const Prompt q = mbpp->build_prompt(m);
  EXPECT_EQ(q.prefill, "```python\n");
  // As the reference: the model sees one test assert (the first); all of them are graded.
  EXPECT_NE(q.user.find("Add one.\n"), std::string::npos) << q.user;
  EXPECT_NE(q.user.find("assert g(1) == 2"), std::string::npos) << q.user;
  EXPECT_EQ(q.user.find("assert g(2) == 3"), std::string::npos) << q.user;
  // A prompt file can show every graded test with {tests}.
  mbpp->set_prompt_template(parse_prompt_file("[user]\n{question}\n{tests}\n", "all.prompt", mbpp->prompt_template()));
  EXPECT_EQ(mbpp->build_prompt(m).user, "Add one.\nassert g(1) == 2\nassert g(2) == 3");
}

TEST(PromptFile, ReplacesSectionsAndKeepsBraces) {
  auto t = make_task("math");
  const PromptTemplate base = t->prompt_template();
  const std::string text =
      "# a reproduction of some published prompt\n"
      "[system]\nSolve it; write \\boxed{answer}.\n\n[user]\nProblem:\n{question}\n[stop]\n\"Problem:\"\n\"\\n\\n\\n\"\n"
      "[max_new_tokens]\n256\n";
  t->set_prompt_template(parse_prompt_file(text, "p.txt", base));
  const Sample s = t->parse_record({{"unique_id", "u"}, {"problem", "1+1?"}, {"solution", ""}, {"answer", "2"}}, 0);
  const Prompt p = t->build_prompt(s);
  EXPECT_EQ(p.system, "Solve it; write \\boxed{answer}.\n");
  EXPECT_EQ(p.user, "Problem:\n1+1?");
  EXPECT_EQ(p.stop, (std::vector<std::string>{"Problem:", "\n\n\n"}));
  EXPECT_EQ(p.max_new_tokens, 256);
  EXPECT_EQ(p.context_limit, 2048);  // kept from the default
  EXPECT_EQ(p.prefill, base.prefill);
}

TEST(PromptFile, ErrorsNameFileAndLine) {
  const PromptTemplate base;
  try {
    parse_prompt_file("[system]\nx\n[sytem]\ny\n", "my.prompt", base);
    FAIL() << "accepted an unknown section";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("my.prompt:3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_prompt_file("[max_new_tokens]\nmany\n", "f", base), Error);
  EXPECT_THROW(parse_prompt_file("[stop]\nResponse:\n", "f", base), Error);  // not a JSON string
  EXPECT_THROW(parse_prompt_file("stray text\n[user]\n", "f", base), Error);
}

TEST(PromptFile, RenderOnlyKnownPlaceholders) {
  EXPECT_EQ(render_placeholders("{a} {b} {{a}} \\boxed{label}", {{"a", "1"}}), "1 {b} {1} \\boxed{label}");
}

TEST(TaskOptions, ValidationAndCodeOptIn) {
  TaskOptions o;
  EXPECT_TRUE(validate_task_options(o).empty());
  o.scoring = "strict";
  o.code_timeout = -1;
  o.prompt_file = "gsm8k=/nonexistent/p.txt,poetry=tests/tasks/prompt_test.cpp";
  std::string problems;
  for (const auto& p : validate_task_options(o)) problems += p + "\n";
  EXPECT_NE(problems.find("--scoring"), std::string::npos);
  EXPECT_NE(problems.find("--code-timeout"), std::string::npos);
  EXPECT_NE(problems.find("/nonexistent/p.txt: not a readable file"), std::string::npos) << problems;
  EXPECT_NE(problems.find("poetry=tests/tasks/prompt_test.cpp: unknown task"), std::string::npos);
  // Which file serves which task: one for all, or per task (dispatch: the first pass).
  o.prompt_file = "a.txt";
  EXPECT_EQ(prompt_file_for(o, "gsm8k"), "a.txt");
  EXPECT_EQ(prompt_file_for(o, "dispatch"), "a.txt");
  o.prompt_file = "gsm8k=g.txt,dispatch=d.txt";
  EXPECT_EQ(prompt_file_for(o, "gsm8k"), "g.txt");
  EXPECT_EQ(prompt_file_for(o, "dispatch"), "d.txt");
  EXPECT_EQ(prompt_file_for(o, "arc"), "");
  TaskOptions ok;
  EXPECT_THROW(require_code_execution_allowed(*make_task("mbpp"), ok), Error);
  EXPECT_NO_THROW(require_code_execution_allowed(*make_task("gsm8k"), ok));
  ok.allow_code_execution = true;
  EXPECT_NO_THROW(require_code_execution_allowed(*make_task("humaneval"), ok));
}

TEST(Classification, SetsFromTrainingSamples) {
  std::vector<Sample> src;
  for (int i = 0; i < 50; ++i) {
    Sample s;
    s.id = std::to_string(i);
    s.question = "q" + std::to_string(i);
    s.category = i % 3 == 0 ? Category::math : i % 3 == 1 ? Category::code : Category::reasoning;
    src.push_back(s);
  }
  const auto sets = build_classification_sets(src, 1);
  EXPECT_EQ(sets.train.size(), 40u);
  EXPECT_EQ(sets.test.size(), 10u);
  auto cls = make_task("cls");
  for (const auto& s : sets.train) {
    EXPECT_EQ(s.gold, category_name(s.category));
    EXPECT_EQ(s.id.substr(0, s.gold.size() + 1), s.gold + "/");
    EXPECT_TRUE(cls->score(s, cls->gold_completion(s), {}).correct);
  }
  // One classification prompt for the cls expert and pass 1: all four labels, other included.
  const std::string system = cls->build_prompt(sets.test[0]).system;
  for (const char* label : {"\\boxed{code}", "\\boxed{math}", "\\boxed{reasoning}", "\\boxed{other}"})
    EXPECT_NE(system.find(label), std::string::npos) << label;
}

}  // namespace
}  // namespace t2::tasks
