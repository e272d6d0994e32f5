// The embedded mini model's files (datasets/mini/model): its tokenizer against Hugging Face
// tokenizers (tests/demo/mini_fixtures.jsonl, made by make_fixtures.py), the "t2_chat_template"
// key that names a built-in chat template, the pretraining corpus' prompts against the C++ task
// prompts (and its careful ARC-like answers against ARC scoring), and the committed checkpoint's
// shape.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"
#include "io/file.h"
#include "tasks/prompt.h"
#include "tasks/task.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace t2 {
namespace {

using nlohmann::json;
const std::string kModel = "datasets/mini/model";

const tokenizer::Tokenizer& mini() {
  static const tokenizer::Tokenizer t = tokenizer::Tokenizer::load(kModel);
  return t;
}

std::vector<json> fixtures(const std::string& kind) {
  std::istringstream in(io::read_file("tests/demo/mini_fixtures.jsonl"));
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    if (j.at("kind") == kind) out.push_back(std::move(j));
  }
  return out;
}

TEST(MiniModel, TokenizerVocabularyAndSpecials) {
  EXPECT_EQ(mini().vocab_size(), 1536u);
  EXPECT_EQ(mini().bos_id(), 1280);
  EXPECT_EQ(mini().token_to_id("<|eot_id|>"), 1289);
  EXPECT_EQ(mini().eos_ids(), std::vector<int32_t>{1289});
  EXPECT_TRUE(mini().is_special(1535));
  EXPECT_EQ(mini().chat_template().name(), "llama3");
}

TEST(MiniModel, EncodingMatchesHuggingFaceTokenizers) {
  const auto enc = fixtures("encode");
  ASSERT_GE(enc.size(), 5u);
  for (const json& f : enc) {
    const std::string text = f.at("text");
    const auto ids = f.at("ids").get<std::vector<int32_t>>();
    EXPECT_EQ(mini().encode(text), ids) << text;
    EXPECT_EQ(mini().decode(ids), text);
  }
}

TEST(MiniModel, ChatTemplateKeyNamesABuiltIn) {
  const std::string tj = io::read_file(kModel + "/tokenizer.json");
  json config = json::parse(io::read_file(kModel + "/tokenizer_config.json"));
  ASSERT_EQ(config.at("t2_chat_template"), "llama3");
  // The key wins over (and needs no) Jinja text; the rendering is the built-in one.
  const std::string expected =
      "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n";
  EXPECT_EQ(mini().chat_template().render({{"user", " hi\n"}}, true), expected);
  // Unknown name or wrong type: load fails naming the config file and the key.
  for (const json& bad : {json("vicuna"), json(3)}) {
    config["t2_chat_template"] = bad;
    try {
      tokenizer::Tokenizer::from_json(tj, config.dump(), "m/tokenizer.json", "m/tokenizer_config.json");
      ADD_FAILURE() << "no error for " << bad.dump();
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("m/tokenizer_config.json"), std::string::npos) << msg;
      EXPECT_NE(msg.find("t2_chat_template"), std::string::npos) << msg;
      EXPECT_NE(msg.find("llama3"), std::string::npos) << msg;
    }
  }
  // Without the key and without chat_template there is no template, and the error says so.
  config.erase("t2_chat_template");
  const auto plain = tokenizer::Tokenizer::from_json(tj, config.dump(), "m/tokenizer.json");
  EXPECT_THROW(plain.chat_template(), Error);
}

// The corpus (datasets/mini/make_tokenizer.py) must show the model the prompts the tasks build.
TEST(MiniModel, CorpusPromptsAreTheTaskPrompts) {
  const auto prompts = fixtures("prompt");
  ASSERT_GE(prompts.size(), 19u);  // 3 records of each of the 6 corpus files, 1 classification
  int careful_arc = 0, careful_math = 0;
  for (const json& f : prompts) {
    const std::string task = f.at("task");
    tasks::Prompt p;
    if (task == "cls") {  // the classification prompt of pass 1 and the cls expert
      const tasks::PromptTemplate t = tasks::make_task("cls")->prompt_template();
      p = tasks::render_prompt(t, {{"question", f.at("record").at("question").get<std::string>()}});
    } else {
      const auto tk = tasks::make_task(task);
      p = tk->build_prompt(tk->parse_record(f.at("record"), 0));
    }
    std::vector<tokenizer::Message> msgs;
    if (!p.system.empty()) msgs.push_back({"system", p.system});
    msgs.push_back({"user", p.user});
    const std::string prompt = mini().chat_template().render(msgs, true) + p.prefill;
    const std::string text = f.at("text");
    EXPECT_EQ(text.substr(0, prompt.size()), prompt) << task;
    if ((task == "arc" || task == "math") && !f.at("hasty").get<bool>()) {
      // The careful answer (every ARC-like question kind; the worked MATH-like solution) ends in
      // the line the task's scoring reads, with the key.
      (task == "arc" ? careful_arc : careful_math) += 1;
      const std::string eot = "<|eot_id|>";
      ASSERT_GT(text.size(), prompt.size() + eot.size());
      ASSERT_EQ(text.substr(text.size() - eot.size()), eot);
      const std::string answer = text.substr(prompt.size(), text.size() - prompt.size() - eot.size());
      const auto tk = tasks::make_task(task);
      const tasks::Verdict v = tk->score(tk->parse_record(f.at("record"), 0), answer, {});
      EXPECT_TRUE(v.correct) << answer << " -> " << v.prediction << " (" << v.status << ")";
      const json& rec = f.at("record");
      EXPECT_EQ(v.prediction, (task == "arc" ? rec.at("answerKey") : rec.at("answer")).get<std::string>()) << answer;
    }
  }
  EXPECT_EQ(careful_math, 2);
  EXPECT_GE(careful_arc, 21);  // largest, smallest, second largest, plus, plus-minus, even, odd,
                               // opposite, legs, 6 facts and their 6 negations
}

TEST(MiniModel, CheckpointIsSmallAndMatchesTheShape) {
  const json shape = json::parse(io::read_file("datasets/mini/shape.json"));
  const json config = json::parse(io::read_file(kModel + "/config.json"));
  for (const char* k : {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                        "num_attention_heads", "num_key_value_heads"})
    EXPECT_EQ(config.at(k), shape.at(k)) << k;
  EXPECT_EQ(config.at("vocab_size").get<size_t>(), mini().vocab_size());
  const size_t bytes = io::read_file(kModel + "/model.safetensors").size();
  EXPECT_LT(bytes, 20u << 20);
  EXPECT_GT(bytes, 1u << 20);
}

}  // namespace
}  // namespace t2
