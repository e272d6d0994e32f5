// The sample runner on a tiny random Llama-3-vocabulary checkpoint: prompts carry one BOS and
// round-trip through the chat template, bad records and over-long prompts become error results
// while the batch goes on, verdicts come from the task's own scorer, stop strings cut the text,
// every result has its own admission-to-finish time, and the outputs do not depend on how samples
// are batched (the basis of world-size independence).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "adapt/task_data.h"
#include "run/sample_runner.h"
#include "base/error.h"
#include "mini/mini.h"
#include "model/llama/model.h"
#include "tiny_model.h"

namespace t2::run {
namespace {

namespace fs = std::filesystem;

class SampleRunnerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / ("t2_runner_test_" + std::to_string(::getpid()))).string();
    adapt::test::write_tiny_model(dir_ + "/model");
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

  static std::unique_ptr<SampleRunner> make_runner(int64_t max_tokens = 12) {
    auto model = model::LlamaModel::load(dir_ + "/model");
    RunnerOptions o;
    o.max_new_tokens = max_tokens;
    return std::make_unique<SampleRunner>(model, tokenizer::Tokenizer::load(dir_ + "/model"), o,
                                          nullptr);
  }
  static std::vector<Job> jobs(const adapt::TaskData& data, const std::vector<int64_t>& idx) {
    std::vector<Job> out;
    for (int64_t i : idx)
      out.push_back({data.task.get(), data.items[i].sample, data.items[i].load_error, nullptr,
                     static_cast<uint64_t>(i)});
    return out;
  }
  static std::string dir_;
};
std::string SampleRunnerTest::dir_;

TEST_F(SampleRunnerTest, PromptHasOneBosAndRoundTrips) {
  const auto runner = make_runner();
  const adapt::TaskData data = adapt::load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
  const tasks::Prompt p = data.task->build_prompt(*data.items[0].sample);
  const auto ids = runner->encoder().encode(p);
  const auto& tok = runner->encoder().tokenizer();
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], tok.bos_id());
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tok.bos_id()), 1);
  const std::string expected =
      tok.chat_template().render({{"system", p.system}, {"user", p.user}}, true) + p.prefill;
  EXPECT_EQ(tok.decode(ids), expected);
  EXPECT_NE(expected.find(data.items[0].sample->question), std::string::npos);
  // A text that spells out a second BOS is refused.
  tasks::Prompt twice = p;
  twice.user += tok.id_to_token(tok.bos_id());
  EXPECT_THROW(runner->encoder().encode(twice), t2::Error);
}

TEST_F(SampleRunnerTest, BatchWithErrorsGoesOn) {
  const auto runner = make_runner();
  const adapt::TaskData data = adapt::load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
  ASSERT_EQ(data.items.size(), 8u);
  ASSERT_EQ(data.items[3].sample, nullptr);  // the broken line keeps its place
  const auto res = runner->run(jobs(data, {0, 1, 2, 3, 4, 5, 6, 7}));
  ASSERT_EQ(res.size(), 8u);
  EXPECT_EQ(res[3].status.rfind("bad record: ", 0), 0u) << res[3].status;
  EXPECT_NE(res[3].status.find("gsm8k.jsonl:4:"), std::string::npos) << res[3].status;
  EXPECT_FALSE(res[3].ran);
  EXPECT_EQ(res[7].status.rfind("prompt too long: ", 0), 0u) << res[7].status;
  EXPECT_GT(res[7].prompt.size(), 1024u);
  for (int i : {0, 1, 2, 4, 5, 6}) {
    const auto& r = res[i];
    EXPECT_EQ(r.status, "ok") << i;
    EXPECT_TRUE(r.ran);
    EXPECT_GT(r.seconds, 0.0);
    EXPECT_GT(r.prompt.size(), 20u);
    EXPECT_GE(r.tokens.size(), 1u);
    EXPECT_LE(r.tokens.size(), 12u);
    ASSERT_TRUE(r.scored);
    EXPECT_EQ(r.verdict.prediction,
              data.task->extract(*data.items[i].sample, r.text, tasks::ScoringMode::clean));
    EXPECT_EQ(r.verdict.correct, data.task->score(*data.items[i].sample, r.text, {}).correct);
  }
}

TEST_F(SampleRunnerTest, OutputsDoNotDependOnBatching) {
  const auto runner = make_runner();
  const adapt::TaskData data = adapt::load_task_data("gsm8k", dir_ + "/gsm8k.jsonl", 0);
  const std::vector<int64_t> all = {0, 1, 2, 4, 5, 6};
  const auto batched = runner->run(jobs(data, all));
  for (size_t i = 0; i < all.size(); ++i) {
    const auto single = runner->run(jobs(data, {all[i]}));
    EXPECT_EQ(single[0].text, batched[i].text) << "sample " << all[i];
    EXPECT_EQ(single[0].tokens, batched[i].tokens);
    EXPECT_EQ(single[0].prompt, batched[i].prompt);
  }
}

TEST_F(SampleRunnerTest, CompletionTextCutsAtStopStringsAndStopToken) {
  const auto runner = make_runner();
  const PromptEncoder& enc = runner->encoder();
  const auto& tok = enc.tokenizer();
  auto ids = tok.encode("The sum is 12.\nInstruction: next");
  EXPECT_EQ(enc.completion(ids, false, {"Instruction:", "Response:"}), "The sum is 12.\n");
  ids.push_back(tok.token_to_id("<|eot_id|>"));
  EXPECT_EQ(enc.completion(ids, true, {}), "The sum is 12.\nInstruction: next");
  EXPECT_EQ(enc.completion(ids, false, {}), "The sum is 12.\nInstruction: next<|eot_id|>");
  EXPECT_EQ(find_stop("abcResponse", {"Response"}, 5), 3u);  // split across the last check
}

TEST_F(SampleRunnerTest, RefusesATokenizerOfAnotherModel) {
  auto model = model::LlamaModel::load("tests/reference/fixtures/llama3_gqa_tied_f32");
  auto other = [&] { SampleRunner r(model, tokenizer::Tokenizer::load(dir_ + "/model"), {}, nullptr); };
  EXPECT_THROW(other(), t2::Error);
}

}  // namespace
}  // namespace t2::run
