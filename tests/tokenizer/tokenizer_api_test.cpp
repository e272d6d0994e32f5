// Contracts of the tokenizer API beyond the reference fixtures: errors for bad input (invalid
// UTF-8, out-of-range ids, unsupported tokenizer.json parts, unknown chat templates) name what
// was expected and the file; BOS/EOS discovery; streaming decoding never splits a character.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/error.h"
#include "io/file.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace t2::tokenizer {
namespace {

using nlohmann::json;
const std::string kFix = "../shared/fixtures/tokenizers/";

const Tokenizer& llama3() {
  static const Tokenizer t = Tokenizer::load(kFix + "llama3");
  return t;
}
const Tokenizer& mistral() {
  static const Tokenizer t = Tokenizer::load(kFix + "mistral/tokenizer.json");
  return t;
}

// Runs f, expects a t2::Error whose message contains every needle.
template <typename F>
void expect_error(F&& f, std::initializer_list<std::string> needles) {
  try {
    f();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos)
        << "message '" << e.what() << "' lacks '" << n << "'";
  }
}

TEST(TokenizerApi, VocabularyAndSpecialIds) {
  EXPECT_EQ(llama3().vocab_size(), 128256u);
  EXPECT_EQ(llama3().bos_id(), 128000);
  EXPECT_EQ(llama3().eos_ids(), std::vector<int32_t>{128009});  // eos_token = <|eot_id|>
  EXPECT_EQ(llama3().token_to_id("<|eot_id|>"), 128009);
  EXPECT_EQ(llama3().token_to_id("\xC4\xA0the"), 279);  // "Ġthe" as spelled in the file
  EXPECT_EQ(llama3().id_to_token(279), "\xC4\xA0the");
  EXPECT_TRUE(llama3().is_special(128000));
  EXPECT_FALSE(llama3().is_special(279));
  EXPECT_EQ(llama3().token_to_id("no such token"), -1);

  EXPECT_EQ(mistral().vocab_size(), 32000u);
  EXPECT_EQ(mistral().bos_id(), 1);
  EXPECT_EQ(mistral().eos_ids(), std::vector<int32_t>{2});
  EXPECT_EQ(mistral().token_to_id("<0x0A>"), 13);
}

TEST(TokenizerApi, EmptyTextAndInvalidUtf8) {
  EXPECT_TRUE(llama3().encode("").empty());
  EXPECT_TRUE(mistral().encode("").empty());
  EXPECT_EQ(llama3().decode({}), "");
  expect_error([] { llama3().encode("ok \xC3("); }, {"not valid UTF-8", "offset 3", "0xC3"});
  expect_error([] { mistral().encode("\xED\xA0\x80"); }, {"not valid UTF-8", "offset 0"});  // surrogate
  expect_error([] { llama3().encode(std::string("a\xF5", 2)); }, {"offset 1"});
}

TEST(TokenizerApi, SpecialTokensParsedOrText) {
  EXPECT_EQ(llama3().encode("<|eot_id|>"), std::vector<int32_t>{128009});
  const auto as_text = llama3().encode("<|eot_id|>", /*parse_special=*/false);
  EXPECT_GT(as_text.size(), 1u);
  EXPECT_EQ(llama3().decode(as_text), "<|eot_id|>");
}

TEST(TokenizerApi, DecodeRejectsOutOfRangeIds) {
  expect_error([] { llama3().decode({9906, 128256}); }, {"128256", "out of range", "tokenizer.json"});
  expect_error([] { mistral().decode({-1}); }, {"-1", "out of range"});
}

TEST(TokenizerApi, StreamDecoderHoldsIncompleteCharacters) {
  // U+1F600 as four byte tokens: nothing is emitted until the character is complete.
  const std::string emoji = "\xF0\x9F\x98\x80";
  std::vector<int32_t> ids(4, -1);
  for (int i = 0; i < 4; ++i) {
    std::string tok;  // the single-byte token as the byte-level alphabet spells it
    utf8_append(byte_to_char(static_cast<uint8_t>(emoji[i])), &tok);
    ids[i] = llama3().token_to_id(tok);
    ASSERT_GE(ids[i], 0) << i;
  }
  ASSERT_EQ(llama3().decode(ids), emoji);
  StreamDecoder stream(llama3());
  EXPECT_EQ(stream.step(9906), "Hello");
  EXPECT_EQ(stream.step(ids[0]), "");
  EXPECT_EQ(stream.step(ids[1]), "");
  EXPECT_EQ(stream.step(ids[2]), "");
  EXPECT_EQ(stream.step(ids[3]), emoji);
  EXPECT_EQ(stream.step(1917), " world");
  EXPECT_EQ(stream.flush(), "");
  // An incomplete character at the end comes out of flush() as U+FFFD.
  EXPECT_EQ(stream.step(ids[0]), "");
  EXPECT_EQ(stream.flush(), "\xEF\xBF\xBD");
}

TEST(TokenizerApi, StreamDecoderKeepsSentencePieceSpaces) {
  const auto ids = mistral().encode("Hello world, again");
  StreamDecoder stream(mistral());
  std::string all;
  for (int32_t id : ids) all += stream.step(id);
  all += stream.flush();
  EXPECT_EQ(all, "Hello world, again");
}

TEST(TokenizerApi, ChatTemplateErrorsNameTheFile) {
  // The Mistral base checkpoint ships no chat_template.
  expect_error([] { mistral().chat_template(); }, {"tokenizer_config.json", "no chat_template"});
  // A template we do not know is refused, naming the config file.
  json config = json::parse(io::read_file(kFix + "mistral/tokenizer_config.json"));
  config["chat_template"] = "{{ messages }}";
  const Tokenizer tok = Tokenizer::from_json(io::read_file(kFix + "mistral/tokenizer.json"),
                                             config.dump(), "custom/tokenizer.json",
                                             "custom/tokenizer_config.json");
  expect_error([&] { tok.chat_template(); },
               {"custom/tokenizer_config.json", "not one of the built-in templates", "llama3"});
  expect_error([] { ChatTemplate::builtin("vicuna", "<s>", "</s>"); }, {"vicuna", "mistral-v0.2"});
  EXPECT_EQ(llama3().chat_template().name(), "llama3");
  EXPECT_EQ(llama3().chat_template().end_of_turn(), "<|eot_id|>");
}

TEST(TokenizerApi, UnsupportedTokenizerPartsAreRefused) {
  const json base = json::parse(io::read_file(kFix + "mistral/tokenizer.json"));
  auto load_with = [&](const char* key, const json& value) {
    json tj = base;
    tj[key] = value;
    return Tokenizer::from_json(tj.dump(), "", "variant/tokenizer.json");
  };
  expect_error([&] { load_with("normalizer", {{"type", "NFKC"}}); },
               {"variant/tokenizer.json", "normalizer type 'NFKC'"});
  expect_error([&] { load_with("pre_tokenizer", {{"type", "Whitespace"}}); },
               {"pre-tokenizer type 'Whitespace'"});
  expect_error([&] {
    load_with("pre_tokenizer", {{"type", "Split"}, {"pattern", {{"Regex", "\\w+"}}},
                                {"behavior", "Isolated"}, {"invert", false}});
  }, {"Split pre-tokenizer pattern", "not supported"});
  expect_error([&] { load_with("decoder", {{"type", "WordPiece"}}); }, {"decoder type 'WordPiece'"});
  json unigram = base;
  unigram["model"]["type"] = "Unigram";
  expect_error([&] { Tokenizer::from_json(unigram.dump(), "", "u/tokenizer.json"); },
               {"u/tokenizer.json", "model type 'Unigram'"});
  expect_error([] { Tokenizer::from_json("{\"model\": ", "", "broken.json"); },
               {"broken.json", "not valid JSON"});
  expect_error([] { Tokenizer::load("/nonexistent/checkpoint"); }, {"/nonexistent/checkpoint"});
}

TEST(TokenizerApi, LongRunsEncodeAndRoundTrip) {
  // Long runs of one class (spaces, digits, one letter, one emoji) decode back to the input.
  for (const std::string& text : {std::string(5000, ' '), std::string(3001, '7'),
                                 std::string(4000, 'a'), [] {
                                   std::string s;
                                   for (int i = 0; i < 500; ++i) s += "\xF0\x9F\x98\x80";
                                   return s;
                                 }()}) {
    for (const Tokenizer* tok : {&llama3(), &mistral()}) {
      const auto ids = tok->encode(text);
      EXPECT_FALSE(ids.empty());
      EXPECT_EQ(tok->decode(ids), text);
    }
  }
  // Llama 3 groups digits by at most three: 3001 digits -> 1001 pieces, each one token.
  EXPECT_EQ(llama3().encode(std::string(3001, '7')).size(), 1001u);
}

// A loaded tokenizer is shared by threads: concurrent encodes (sharing the word cache) give the
// same ids as a single thread.
TEST(TokenizerApi, ConcurrentEncodeIsConsistent) {
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i)
    texts.push_back("Sample " + std::to_string(i * 7919) + ": can't stop \xE4\xBD\xA0\xE5\xA5\xBD " +
                    std::string(i % 13, ' ') + "word" + std::to_string(i));
  for (const Tokenizer* tok : {&llama3(), &mistral()}) {
    std::vector<std::vector<int32_t>> expected;
    for (const auto& t : texts) expected.push_back(tok->encode(t));
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k) {
      threads.emplace_back([&, k] {
        for (int round = 0; round < 5; ++round)
          for (size_t i = 0; i < texts.size(); ++i)
            mismatches[k] += tok->encode(texts[(i + k * 31) % texts.size()]) !=
                             expected[(i + k * 31) % texts.size()];
      });
    }
    for (auto& t : threads) t.join();
    for (int k = 0; k < 4; ++k) EXPECT_EQ(mismatches[k], 0) << "thread " << k;
  }
}

// Every code point is classed (letter / number / space / other) as the reference's Oniguruma does;
// char_classes.txt is probed from Hugging Face's pre-tokenizer by gen_char_classes.py.
TEST(Unicode, ClassesMatchTheReferenceForEveryCodePoint) {
  std::istringstream in(io::read_file("tests/tokenizer/char_classes.txt"));
  size_t n_checked = 0, n_wrong = 0;
  std::string first_wrong;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    std::string a, b, k;
    f >> a >> b >> k;
    const uint32_t first = std::stoul(a, nullptr, 16), last = std::stoul(b, nullptr, 16);
    for (uint32_t cp = first; cp <= last; ++cp) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      const uint8_t c = char_class(cp);
      const char mine = c & kClassLetter ? 'L' : c & kClassNumber ? 'N' : c & kClassSpace ? 'S' : 'O';
      ++n_checked;
      if (mine != k[0]) {
        if (n_wrong++ < 10) first_wrong += format(" U+%04X(%c, reference %c)", cp, mine, k[0]);
      }
    }
  }
  EXPECT_EQ(n_checked, 0x110000u - 0x800u);
  EXPECT_EQ(n_wrong, 0u) << "first differences:" << first_wrong;
}

TEST(Unicode, LossyRepairAndCompletePrefix) {
  EXPECT_EQ(utf8_lossy("ok"), "ok");
  EXPECT_EQ(utf8_lossy("\xE2\x82"), "\xEF\xBF\xBD");                       // one maximal subpart
  EXPECT_EQ(utf8_lossy("\xE2\x82x\x80"), "\xEF\xBF\xBDx\xEF\xBF\xBD");
  EXPECT_EQ(utf8_complete_prefix("ab\xE2\x82"), 2u);
  EXPECT_EQ(utf8_complete_prefix("ab\xE2\x82\xAC"), 5u);
  EXPECT_EQ(utf8_complete_prefix("ab\x80"), 3u);  // invalid, not incomplete: nothing to wait for
  EXPECT_EQ(char_class('a'), kClassLetter);
  EXPECT_EQ(char_class(0x0663), kClassNumber);  // ARABIC-INDIC DIGIT THREE
  EXPECT_EQ(char_class(0x3000), kClassSpace);
  EXPECT_EQ(char_class(0x0301), 0);             // combining acute: neither L, N nor \s
}

}  // namespace
}  // namespace t2::tokenizer
