// Tokenizers from GGUF metadata: tests/reference/gguf/tiny_tokenizer.gguf (a small byte-level BPE
// with the smollm pre-tokenizer, control tokens, add_bos false and SmolLM2's chat template) against
// the ids Hugging Face tokenizers gives for the same vocabulary (made by
// tests/reference/make_gguf_fixtures.py), and the refusals of what t2 does not implement. The real
// SmolLM2 tokenizer is tested in tests/model/smollm2_test.cpp (label model).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/file.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

using namespace t2;
using nlohmann::json;

namespace {

const std::string kFile = "tests/reference/gguf/tiny_tokenizer.gguf";

// The fixture with a string replaced by another of the same length: a whole length-prefixed
// value, or (whole = false) any occurrence inside one.
std::string patched_copy(const std::string& from, const std::string& to, bool whole = true) {
  std::string bytes = io::read_file(kFile);
  std::string needle = whole ? std::string(8, '\0') : std::string();
  if (whole) needle[0] = static_cast<char>(from.size());
  needle += from;
  const size_t at = bytes.find(needle);
  EXPECT_NE(at, std::string::npos) << from;
  bytes.replace(at + needle.size() - from.size(), from.size(), to);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("t2_gguf_tok_" + std::to_string(::getpid()) + ".gguf")).string();
  io::write_file_atomic(path, bytes);
  return path;
}

std::string load_error(const std::string& path) {
  try {
    tokenizer::Tokenizer::load(path);
  } catch (const Error& e) {
    std::filesystem::remove(path);
    return e.what();
  }
  std::filesystem::remove(path);
  return "no error";
}

}  // namespace

TEST(GgufTokenizer, MatchesHuggingFaceTokenizers) {
  // The file as written (pre-tokenizer "smollm"), and patched to "llama3" (the Llama-3 split with
  // merges ignored for whole-vocabulary words; BOS would be added by default, but the file's
  // add_bos_token false wins).
  const auto expected = json::parse(io::read_file("tests/reference/gguf/tiny_tokenizer.expected.json"));
  const std::string llama3_path = patched_copy("smollm", "llama3");
  const auto smollm = tokenizer::Tokenizer::load(kFile);
  const auto llama3 = tokenizer::Tokenizer::load(llama3_path);
  std::filesystem::remove(llama3_path);
  EXPECT_EQ(llama3.bos_id(), -1);
  size_t n = 0;
  for (const auto& e : expected) {
    const std::string text = e["text"];
    const auto& tok = e["pre"] == "smollm" ? smollm : llama3;
    const auto ids = tok.encode(text);
    EXPECT_EQ(ids, e["ids"].get<std::vector<int32_t>>()) << e["pre"] << " " << json(text).dump();
    EXPECT_EQ(tok.decode(ids), text);
    ++n;
  }
  EXPECT_EQ(n, 16u);
}

TEST(GgufTokenizer, SpecialsBosEosAndChatTemplate) {
  const auto tok = tokenizer::Tokenizer::load(kFile);
  EXPECT_EQ(tok.bos_id(), -1);  // add_bos_token false: nothing is prepended
  EXPECT_EQ(tok.eos_ids(), std::vector<int32_t>{2});
  EXPECT_TRUE(tok.is_special(1));
  EXPECT_EQ(tok.token_to_id("<|im_end|>"), 2);
  EXPECT_EQ(tok.encode("<|im_end|>", /*parse_special=*/false).size(), 10u);  // plain text
  EXPECT_EQ(tok.chat_template().name(), "smollm2");
  EXPECT_EQ(tok.chat_template().render({{"user", "Hi"}}, true),
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
            "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(GgufTokenizer, RefusesWhatItDoesNotImplement) {
  const std::string pre = load_error(patched_copy("smollm", "qwen2x"));
  EXPECT_NE(pre.find("tokenizer.ggml.pre is \"qwen2x\""), std::string::npos) << pre;
  EXPECT_NE(pre.find("--tokenizer"), std::string::npos) << pre;
  const std::string model = load_error(patched_copy("gpt2", "t5xx"));
  EXPECT_NE(model.find("tokenizer.ggml.model is \"t5xx\""), std::string::npos) << model;
  // An unknown chat template: plain encoding works, a chat prompt names --chat-template.
  const std::string path = patched_copy("You are a helpful", "You are a HELPFUL", false);
  const auto tok = tokenizer::Tokenizer::load(path);
  std::filesystem::remove(path);
  EXPECT_EQ(tok.encode("a  1").size(), 3u);
  try {
    tok.chat_template();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--chat-template"), std::string::npos) << e.what();
  }
}
