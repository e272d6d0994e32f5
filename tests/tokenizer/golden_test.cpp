// Golden test for one vocabulary (compiled once per vocabulary with T2_VOCAB set): every line of
// ../shared/fixtures/tokenizers/<vocab>/golden.jsonl and golden_split_special.jsonl (made with Hugging
// Face's tokenizers library) must give exactly the same ids and decoded text, including the chat
// prompt lines rendered with the checkpoint's template.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "io/file.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace t2::tokenizer {
namespace {

const std::string kDir = std::string("../shared/fixtures/tokenizers/") + T2_VOCAB;

const Tokenizer& tok() {
  static const Tokenizer t = Tokenizer::load(kDir);
  return t;
}

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(io::read_file(path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::string show(const std::vector<int32_t>& ids) { return nlohmann::json(ids).dump(); }

// Checks every line; returns how many lines were compared.
size_t check_file(const std::string& name, bool parse_special) {
  const auto lines = read_jsonl(kDir + "/" + name);
  EXPECT_GT(lines.size(), 5u) << name;
  size_t n_chat = 0;
  for (const auto& l : lines) {
    const std::string id = l.at("id").get<std::string>();
    std::string text = l.at("text").get<std::string>();
    if (l.contains("messages")) {
      std::vector<Message> messages;
      for (const auto& m : l["messages"]) messages.push_back({m.at("role"), m.at("content")});
      const std::string rendered =
          tok().chat_template().render(messages, l.at("add_generation_prompt").get<bool>());
      EXPECT_EQ(rendered, text) << id << ": chat template rendering differs";
      text = rendered;
      ++n_chat;
    }
    const auto expected = l.at("ids").get<std::vector<int32_t>>();
    const auto ids = tok().encode(text, parse_special);
    EXPECT_EQ(show(ids), show(expected)) << id << " (" << l.value("category", "") << "): "
                                         << text.substr(0, 200);
    EXPECT_EQ(tok().decode(expected), l.at("decoded").get<std::string>()) << id;
  }
  return lines.size();
}

TEST(T2_SUITE, EveryLineMatchesWithSpecialTokensParsed) {
  EXPECT_GT(check_file("golden.jsonl", /*parse_special=*/true), 300u);
}

TEST(T2_SUITE, EveryLineMatchesWithSpecialTokensAsText) {
  EXPECT_GT(check_file("golden_split_special.jsonl", /*parse_special=*/false), 5u);
}

// Streaming the golden ids one at a time must reproduce decode() and never split a character.
TEST(T2_SUITE, StreamDecoderReproducesDecode) {
  for (const auto& l : read_jsonl(kDir + "/golden.jsonl")) {
    const auto ids = l.at("ids").get<std::vector<int32_t>>();
    StreamDecoder stream(tok());
    std::string all;
    for (int32_t id : ids) {
      const std::string piece = stream.step(id);
      EXPECT_EQ(piece.find("\xEF\xBF\xBD"), std::string::npos)
          << l.at("id") << ": a step emitted a replacement character";
      all += piece;
    }
    all += stream.flush();
    EXPECT_EQ(all, tok().decode(ids)) << l.at("id");
  }
}

}  // namespace
}  // namespace t2::tokenizer
