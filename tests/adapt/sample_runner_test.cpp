// The per-sample pipeline on a tiny random Llama-3-vocabulary checkpoint: prompts carry one BOS and
// round-trip through the chat template, bad records and over-long prompts become error records while
// the batch goes on, predictions come from the task's own extractor, stop strings cut the text, and
// the outputs do not depend on how samples are batched (the basis of world-size independence).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "adapt/sample_runner.h"
#include "base/error.h"
#include "mini/mini.h"
#include "model/llama/model.h"
#include "tiny_model.h"

namespace t2::adapt {
namespace {

namespace fs = std::filesystem;

class SampleRunnerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / ("t2_runner_test_" + std::to_string(::getpid()))).string();
    test::write_tiny_model(dir_ + "/model");
    // Six mini GSM8K records, a broken line and a question far beyond the 1024-token context.
    std::ofstream f(dir_ + "/gsm8k.jsonl");
    const auto recs = mini::make_gsm8k(11, 1, 6);
    for (size_t i = 0; i < recs.size(); ++i) {
      f << recs[i].dump() << "\n";
      if (i == 2) f << "{\"question\": \"no answer field\"}\n";
    }
    std::string huge;
    for (int i = 0; i < 1500; ++i) huge += "many words here ";
    f << nlohmann::json{{"question", huge}, {"answer", "x\n#### 4"}}.dump() << "\n";
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static SampleRunner make_runner(int64_t max_tokens = 12) {
    auto model = model::LlamaModel::load(dir_ + "/model");
    RunnerOptions o;
    o.max_tokens = max_tokens;
    return SampleRunner(model, tokenizer::Tokenizer::load(dir_ + "/model"), o, nullptr);
  }
  static std::string dir_;
};
std::string SampleRunnerTest::dir_;

TEST_F(SampleRunnerTest, PromptHasOneBosAndRoundTrips) {
  SampleRunner runner = make_runner();
  const TaskData data = load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
  const tasks::Prompt p = data.task->build_prompt(*data.items[0].sample);
  const auto ids = runner.prompt_ids(p);
  const auto& tok = runner.tokenizer();
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], tok.bos_id());
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tok.bos_id()), 1);
  const std::string expected =
      tok.chat_template().render({{"system", p.system}, {"user", p.user}}, true) + p.prefill;
  EXPECT_EQ(tok.decode(ids), expected);
  EXPECT_NE(expected.find(data.items[0].sample->question), std::string::npos);
}

TEST_F(SampleRunnerTest, BatchWithErrorsGoesOn) {
  SampleRunner runner = make_runner();
  const TaskData data = load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
  ASSERT_EQ(data.items.size(), 8u);
  ASSERT_EQ(data.items[3].sample, nullptr);  // the broken line keeps its place
  std::vector<int64_t> idx(8);
  for (int i = 0; i < 8; ++i) idx[i] = i;
  const auto strategy = make_base_strategy();
  const auto recs = runner.run_batch(data, idx, *strategy);
  ASSERT_EQ(recs.size(), 8u);
  EXPECT_EQ(recs[3].status.rfind("bad record: ", 0), 0u) << recs[3].status;
  EXPECT_NE(recs[3].status.find("gsm8k.jsonl:4:"), std::string::npos) << recs[3].status;
  EXPECT_EQ(recs[7].status.rfind("prompt too long: ", 0), 0u) << recs[7].status;
  EXPECT_GT(recs[7].prompt_tokens, 1024);
  for (int i : {0, 1, 2, 4, 5, 6}) {
    const auto& r = recs[i];
    EXPECT_EQ(r.status, "ok") << i;
    EXPECT_EQ(r.task, "gsm8k");
    EXPECT_EQ(r.index, i);
    EXPECT_EQ(r.id, data.items[i].sample->id);
    EXPECT_EQ(r.expert, "base");
    EXPECT_GT(r.prompt_tokens, 20);
    EXPECT_GE(r.generated_tokens, 1);
    EXPECT_LE(r.generated_tokens, 12);
    EXPECT_EQ(r.prediction, data.task->extract(*data.items[i].sample, r.text, tasks::ScoringMode::clean));
    EXPECT_EQ(r.correct, data.task->score(*data.items[i].sample, r.text, {}).correct);
  }
}

TEST_F(SampleRunnerTest, OutputsDoNotDependOnBatching) {
  SampleRunner runner = make_runner();
  const TaskData data = load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
  const auto strategy = make_base_strategy();
  const std::vector<int64_t> all = {0, 1, 2, 4, 5, 6};
  const auto batched = runner.run_batch(data, all, *strategy);
  for (size_t i = 0; i < all.size(); ++i) {
    const int64_t one[] = {all[i]};
    const auto single = runner.run_batch(data, one, *strategy);
    EXPECT_EQ(single[0].text, batched[i].text) << "sample " << all[i];
    EXPECT_EQ(single[0].generated_tokens, batched[i].generated_tokens);
    EXPECT_EQ(single[0].prompt_tokens, batched[i].prompt_tokens);
  }
}

TEST_F(SampleRunnerTest, CompletionTextCutsAtStopStringsAndStopToken) {
  SampleRunner runner = make_runner();
  const auto& tok = runner.tokenizer();
  auto ids = tok.encode("The sum is 12.\nInstruction: next");
  EXPECT_EQ(completion_text(tok, ids, false, {"Instruction:", "Response:"}), "The sum is 12.\n");
  ids.push_back(tok.token_to_id("<|eot_id|>"));
  EXPECT_EQ(completion_text(tok, ids, true, {}), "The sum is 12.\nInstruction: next");
  EXPECT_EQ(completion_text(tok, ids, false, {}), "The sum is 12.\nInstruction: next<|eot_id|>");
}

TEST_F(SampleRunnerTest, RefusesATokenizerOfAnotherModel) {
  auto model = model::LlamaModel::load("tests/reference/fixtures/llama3_gqa_tied_f32");
  auto other = [&] { SampleRunner r(model, tokenizer::Tokenizer::load(dir_ + "/model"), {}, nullptr); };
  EXPECT_THROW(other(), t2::Error);
}

}  // namespace
}  // namespace t2::adapt
