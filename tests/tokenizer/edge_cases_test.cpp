// Edge cases cross-checked against Hugging Face: tests/tokenizer/edge_cases.jsonl is written by
// gen_edge_fixtures.py with the real `tokenizers` library (ids, decodes) and transformers' Jinja
// renderer (chat prompts). Covers whitespace runs, digit groups, contractions, emoji, CJK, byte
// fallback, special tokens as text, partial UTF-8 decoding, other pre-tokenizer/decoder variants,
// and the built-in chat templates (including the cases where the Jinja template raises).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"
#include "io/file.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace t2::tokenizer {
namespace {

using nlohmann::json;
const std::string kFixtures = "../shared/fixtures/tokenizers/";

std::vector<json> edge_lines(const std::string& kind) {
  std::vector<json> out;
  std::istringstream in(io::read_file("tests/tokenizer/edge_cases.jsonl"));
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    if (j.at("kind") == kind) out.push_back(std::move(j));
  }
  return out;
}

// The same patches as patch_variant() in gen_edge_fixtures.py.
json patch_variant(json tj, const std::string& variant) {
  if (variant == "gpt2_regex" || variant == "gpt2_regex_prefix") {
    tj["pre_tokenizer"] = {{"type", "ByteLevel"},
                           {"add_prefix_space", variant == "gpt2_regex_prefix"},
                           {"trim_offsets", true},
                           {"use_regex", true}};
  } else if (variant == "metaspace_first" || variant == "metaspace_always_split") {
    const bool first = variant == "metaspace_first";
    tj["normalizer"] = nullptr;
    tj["pre_tokenizer"] = {{"type", "Metaspace"},
                           {"replacement", "\u2581"},
                           {"prepend_scheme", first ? "first" : "always"},
                           {"split", !first}};
    tj["decoder"] = json::parse(R"({"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]})");
  } else if (variant == "digits_gpt2") {
    tj["pre_tokenizer"] = json::parse(R"({"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": true},
        {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
         "use_regex": true}]})");
  } else if (variant == "strip_options") {
    for (auto& t : tj["added_tokens"]) {
      if (t["content"] == "<|eot_id|>") t["lstrip"] = true;
      if (t["content"] == "<|start_header_id|>") t["rstrip"] = true;
      if (t["content"] == "<|end_header_id|>") t["single_word"] = true;
    }
  } else if (variant != "base") {
    ADD_FAILURE() << "unknown variant " << variant;
  }
  return tj;
}

const Tokenizer& tokenizer_for(const std::string& vocab, const std::string& variant) {
  static std::map<std::string, Tokenizer> cache;
  const std::string key = vocab + "/" + variant;
  auto it = cache.find(key);
  if (it == cache.end()) {
    if (variant == "base") {
      it = cache.emplace(key, Tokenizer::load(kFixtures + vocab)).first;
    } else {
      const json tj = json::parse(io::read_file(kFixtures + vocab + "/tokenizer.json"));
      it = cache.emplace(key, Tokenizer::from_json(patch_variant(tj, variant).dump(), "", key))
               .first;
    }
  }
  return it->second;
}

TEST(EdgeCases, EncodeAndDecodeMatchReference) {
  const auto lines = edge_lines("encode");
  ASSERT_GT(lines.size(), 500u);
  std::map<std::string, int> per_variant;
  for (const auto& l : lines) {
    const std::string vocab = l.at("vocab"), variant = l.at("variant");
    const std::string text = l.at("text");
    const Tokenizer& tok = tokenizer_for(vocab, variant);
    const auto expected = l.at("ids").get<std::vector<int32_t>>();
    const auto ids = tok.encode(text, !l.at("split_special").get<bool>());
    EXPECT_EQ(json(ids).dump(), json(expected).dump())
        << vocab << "/" << variant << " split_special=" << l.at("split_special") << " text "
        << json(text).dump().substr(0, 120);
    EXPECT_EQ(tok.decode(ids), l.value("decoded", text))
        << vocab << "/" << variant << " text " << json(text).dump().substr(0, 120);
    ++per_variant[vocab + "/" + variant];
  }
  EXPECT_EQ(per_variant.size(), 8u);  // every variant of the generator was exercised
}

TEST(EdgeCases, DecodeOfPartialCharactersMatchesReference) {
  const auto lines = edge_lines("decode");
  ASSERT_GT(lines.size(), 10u);
  for (const auto& l : lines) {
    const Tokenizer& tok = tokenizer_for(l.at("vocab"), "base");
    const auto ids = l.at("ids").get<std::vector<int32_t>>();
    EXPECT_EQ(tok.decode(ids), l.at("decoded").get<std::string>())
        << l.at("vocab") << " " << json(ids).dump();
  }
}

TEST(EdgeCases, ChatTemplatesMatchJinja) {
  const auto lines = edge_lines("chat");
  ASSERT_GT(lines.size(), 30u);
  int n_errors = 0;
  for (const auto& l : lines) {
    const auto tmpl = ChatTemplate::recognise(l.at("template"), l.at("bos"), l.at("eos"),
                                              "edge_cases.jsonl");
    EXPECT_EQ(tmpl.name(), l.at("template_name").get<std::string>());
    std::vector<Message> messages;
    for (const auto& m : l.at("messages")) messages.push_back({m.at("role"), m.at("content")});
    const bool gen = l.at("add_generation_prompt");
    const std::string where = tmpl.name() + " " + l.at("messages").dump();
    if (l.contains("error")) {
      EXPECT_THROW(tmpl.render(messages, gen), Error) << where;
      ++n_errors;
      continue;
    }
    const std::string rendered = tmpl.render(messages, gen);
    EXPECT_EQ(rendered, l.at("rendered").get<std::string>()) << where;
    const auto& tok = tokenizer_for(l.at("vocab"), "base");
    EXPECT_EQ(json(tok.encode(rendered)).dump(), l.at("ids").dump()) << where;
  }
  EXPECT_GT(n_errors, 5);
}

}  // namespace
}  // namespace t2::tokenizer
