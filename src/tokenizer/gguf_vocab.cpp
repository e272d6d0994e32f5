// GGUF tokenizer metadata → tokenizer.json shape (see gguf_vocab.h).
#include "tokenizer/gguf_vocab.h"

#include "base/error.h"
#include "tokenizer/byte_level.h"  // alphabet_to_bytes
#include "tokenizer/pretokenize.h"

namespace t2::tokenizer {

namespace {

using json = nlohmann::json;

// llama.cpp's token types (tokenizer.ggml.token_type).
enum TokenType : int64_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4,
                           kUnused = 5, kByte = 6 };

json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
          {"use_regex", use_regex}};
}

}  // namespace

GgufTokenizerSpec gguf_tokenizer_spec(const io::GgufFile& f) {
  const std::string& path = f.path();
  const std::string model = f.require_string("tokenizer.ggml.model");
  T2_CHECK(model == "gpt2", "%s: tokenizer.ggml.model is \"%s\"; t2 reads GGUF tokenizers of "
           "model \"gpt2\" (byte-level BPE: Llama 3, SmolLM, GPT-2 style). For other tokenizers "
           "pass a Hugging Face tokenizer.json", path.c_str(), model.c_str());
  const std::string pre = f.find_string("tokenizer.ggml.pre").value_or("default");
  GgufTokenizerSpec s;
  bool ignore_merges = false, add_bos = false;
  if (pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe") {
    s.root["pre_tokenizer"] = {
        {"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"},
           {"pattern", {{"Regex", std::string(split_pattern_regex(SplitPattern::llama3))}}},
           {"behavior", "Isolated"},
           {"invert", false}},
          byte_level(false)}}};
    ignore_merges = true;
    add_bos = true;  // llama.cpp's default for these pre-tokenizers
  } else if (pre == "smollm") {
    s.root["pre_tokenizer"] = {
        {"type", "Sequence"},
        {"pretokenizers", {{{"type", "Digits"}, {"individual_digits", true}}, byte_level(true)}}};
  } else if (pre == "gpt-2") {
    s.root["pre_tokenizer"] = byte_level(true);
  } else {
    T2_FAIL("%s: tokenizer.ggml.pre is \"%s\", which t2 does not implement (supported: "
            "llama-bpe, llama3, llama-v3, smollm, gpt-2); pass the model's Hugging Face "
            "tokenizer.json with --tokenizer instead", path.c_str(), pre.c_str());
  }
  add_bos = f.find_bool("tokenizer.ggml.add_bos_token").value_or(add_bos);
  s.root["decoder"] = byte_level(true);
  s.root["model"] = {{"type", "BPE"}, {"ignore_merges", ignore_merges}, {"byte_fallback", false},
                     {"fuse_unk", false}, {"unk_token", nullptr}};

  const auto tokens = f.find_string_array("tokenizer.ggml.tokens");
  T2_CHECK(tokens.has_value() && !tokens->empty(), "%s: tokenizer.ggml.tokens is missing or empty",
           path.c_str());
  const auto types = f.find_int_array("tokenizer.ggml.token_type");
  T2_CHECK(!types || types->size() == tokens->size(), "%s: tokenizer.ggml.token_type has %zu "
           "entries but tokenizer.ggml.tokens has %zu", path.c_str(), types->size(),
           tokens->size());
  const auto merges = f.find_string_array("tokenizer.ggml.merges");
  T2_CHECK(merges.has_value(), "%s: tokenizer.ggml.merges is missing (a gpt2 tokenizer needs its "
           "merges)", path.c_str());
  json added = json::array();
  s.tables.vocab.reserve(tokens->size());
  for (size_t id = 0; id < tokens->size(); ++id) {
    const std::string token((*tokens)[id]);
    const int64_t type = types ? (*types)[id] : kNormal;
    if (type == kControl || type == kUserDefined) {
      added.push_back({{"id", id}, {"content", token}, {"single_word", false}, {"lstrip", false},
                       {"rstrip", false}, {"normalized", false}, {"special", type == kControl}});
      // Specials spelled outside the byte alphabet are only added tokens, never BPE pieces.
      if (!alphabet_to_bytes(token)) continue;
    }
    s.tables.vocab.emplace_back(token, static_cast<int32_t>(id));
  }
  s.tables.merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    const std::string_view m = (*merges)[i];
    const size_t sp = m.find(' ');
    T2_CHECK(sp != std::string_view::npos && sp > 0 && sp + 1 < m.size() &&
                 m.find(' ', sp + 1) == std::string_view::npos,
             "%s: tokenizer.ggml.merges[%zu] = \"%.*s\" is not two tokens separated by one space",
             path.c_str(), i, static_cast<int>(m.size()), m.data());
    s.tables.merges.emplace_back(std::string(m.substr(0, sp)), std::string(m.substr(sp + 1)));
  }
  s.tables.has_vocab = s.tables.has_merges = true;
  s.root["added_tokens"] = added;

  auto token_of = [&](const char* key) -> std::string {
    const auto id = f.find_int(key);
    if (!id) return {};
    T2_CHECK(*id >= 0 && static_cast<size_t>(*id) < tokens->size(),
             "%s: %s = %lld is outside the vocabulary (%zu tokens)", path.c_str(), key,
             static_cast<long long>(*id), tokens->size());
    return std::string((*tokens)[static_cast<size_t>(*id)]);
  };
  const std::string bos = token_of("tokenizer.ggml.bos_token_id");
  const std::string eos = token_of("tokenizer.ggml.eos_token_id");
  s.config = json::object();
  if (add_bos && !bos.empty()) s.config["bos_token"] = bos;
  if (!eos.empty()) s.config["eos_token"] = eos;
  if (auto tmpl = f.find_string("tokenizer.chat_template")) s.config["chat_template"] = *tmpl;
  for (const char* key : {"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
    if (!token_of(key).empty()) s.extra_eos_ids.push_back(static_cast<int32_t>(*f.find_int(key)));
  }
  return s;
}

}  // namespace t2::tokenizer
