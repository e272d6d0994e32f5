// Tokenizer loading and the encode/decode pipeline; see tokenizer.h. Encoding follows the
// reference's order: added tokens in the raw text, normalizer per remaining piece, added tokens
// in the normalized text, pre-tokenizer, BPE per word.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "base/error.h"
#include "base/text.h"  // replace_all
#include "io/file.h"  // read_file, file_exists
#include "io/gguf.h"
#include "io/jsonl.h"  // parse_json
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/unicode.h"

namespace t2::tokenizer {

using nlohmann::json;

namespace {

// What the pre_tokenizer of tokenizer.json does, for the supported shapes:
// null | Split(llama3) + ByteLevel(use_regex=false) | ByteLevel(use_regex=true) | Metaspace.
struct PreTokenizer {
  std::optional<SplitPattern> split;
  bool digits = false;            // Digits(individual_digits) before a GPT-2 ByteLevel split
  bool byte_level = false;
  bool add_prefix_space = false;  // ByteLevel
  bool metaspace = false;
  std::string replacement;        // Metaspace
  enum class Prepend { always, first, never } prepend = Prepend::always;
  bool metaspace_split = true;
};

void parse_pre_tokenizer(const json& spec, const std::string& source, PreTokenizer* p) {
  if (spec.is_null()) return;
  const std::string type = spec.value("type", std::string("?"));
  if (type == "Sequence") {
    for (const auto& s : spec.at("pretokenizers")) parse_pre_tokenizer(s, source, p);
  } else if (type == "Split") {
    const auto& pat = spec.at("pattern");
    const std::string regex = pat.value("Regex", std::string());
    T2_CHECK(!p->split && !p->byte_level && !p->metaspace,
             "%s: a Split pre-tokenizer after another splitting step is not supported",
             source.c_str());
    for (SplitPattern sp : {SplitPattern::llama3, SplitPattern::gpt2}) {
      if (regex == split_pattern_regex(sp)) p->split = sp;
    }
    T2_CHECK(p->split.has_value(),
             "%s: Split pre-tokenizer pattern %s is not supported (supported: the Llama-3 and "
             "GPT-2 patterns)", source.c_str(), pat.dump().c_str());
    T2_CHECK(spec.value("behavior", std::string()) == "Isolated" && !spec.value("invert", false),
             "%s: Split pre-tokenizer needs behavior \"Isolated\" and invert false",
             source.c_str());
  } else if (type == "Digits") {
    T2_CHECK(!p->split && !p->byte_level && !p->metaspace && !p->digits,
             "%s: a Digits pre-tokenizer is supported only first, before a ByteLevel split",
             source.c_str());
    T2_CHECK(spec.value("individual_digits", false), "%s: Digits pre-tokenizer with "
             "individual_digits false is not supported", source.c_str());
    p->digits = true;
  } else if (type == "ByteLevel") {
    T2_CHECK(!p->byte_level && !p->metaspace, "%s: ByteLevel pre-tokenizer combined with "
             "another ByteLevel or Metaspace step is not supported", source.c_str());
    p->byte_level = true;
    p->add_prefix_space = spec.value("add_prefix_space", false);
    if (spec.value("use_regex", true)) {
      T2_CHECK(!p->split, "%s: ByteLevel with use_regex after a Split is not supported",
               source.c_str());
      p->split = SplitPattern::gpt2;
    } else {
      T2_CHECK(!(p->split && p->add_prefix_space), "%s: ByteLevel add_prefix_space after a "
               "Split pre-tokenizer is not supported", source.c_str());
    }
  } else if (type == "Metaspace") {
    T2_CHECK(!p->split && !p->byte_level && !p->metaspace,
             "%s: Metaspace combined with other pre-tokenizers is not supported", source.c_str());
    p->metaspace = true;
    p->replacement = spec.at("replacement").get<std::string>();
    const std::string scheme = spec.value(
        "prepend_scheme", std::string(spec.value("add_prefix_space", true) ? "always" : "never"));
    T2_CHECK(scheme == "always" || scheme == "first" || scheme == "never",
             "%s: Metaspace prepend_scheme '%s' is unknown", source.c_str(), scheme.c_str());
    p->prepend = scheme == "always"  ? PreTokenizer::Prepend::always
                 : scheme == "first" ? PreTokenizer::Prepend::first
                                     : PreTokenizer::Prepend::never;
    p->metaspace_split = spec.value("split", true);
  } else {
    T2_FAIL("%s: pre-tokenizer type '%s' is not supported (supported: Split, ByteLevel, "
            "Metaspace, Digits, Sequence)", source.c_str(), type.c_str());
  }
}

// The whole pre_tokenizer of tokenizer.json; Digits + ByteLevel(use_regex) is the smollm split.
void parse_pre_tokenizers(const json& spec, const std::string& source, PreTokenizer* p) {
  parse_pre_tokenizer(spec, source, p);
  if (!p->digits) return;
  T2_CHECK(p->split == SplitPattern::gpt2, "%s: a Digits pre-tokenizer must be followed by "
           "ByteLevel with use_regex true (the SmolLM / StarCoder shape)", source.c_str());
  p->split = SplitPattern::smollm;
}

// "x" or {"content": "x"} (tokenizer_config.json spells special tokens both ways).
std::string token_string(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string())
    return v["content"].get<std::string>();
  return {};
}

}  // namespace

struct Tokenizer::Impl {
  std::string source;
  std::optional<BpeModel> model;
  Normalizer normalizer;
  PreTokenizer pre;
  Decoder decoder;
  AddedTokenMatcher raw_matcher, normalized_matcher;
  std::unordered_map<int32_t, AddedToken> added_by_id;
  std::unordered_map<std::string, int32_t> added_by_content;
  size_t vocab_size = 0;
  int32_t bos_id = -1;
  std::vector<int32_t> eos_ids;
  std::optional<ChatTemplate> chat_template;
  std::string chat_template_error;

  void encode_plain(std::string_view text, bool at_text_start, std::vector<int32_t>* ids) const;
  void encode_normalized(std::string_view text, bool at_text_start, bool parse_special,
                         std::vector<int32_t>* ids) const;
};

void Tokenizer::Impl::encode_plain(std::string_view text, bool at_text_start,
                                   std::vector<int32_t>* ids) const {
  if (text.empty()) return;
  if (pre.metaspace) {
    std::string s = replace_all(text, " ", pre.replacement);
    const bool prepend = pre.prepend == PreTokenizer::Prepend::always ||
                         (pre.prepend == PreTokenizer::Prepend::first && at_text_start);
    if (prepend && s.compare(0, pre.replacement.size(), pre.replacement) != 0)
      s.insert(0, pre.replacement);
    if (!pre.metaspace_split) return model->encode_word(s, ids);
    size_t begin = 0;
    for (size_t hit = s.find(pre.replacement, 1); hit != std::string::npos;
         hit = s.find(pre.replacement, hit + 1)) {
      if (hit > begin) model->encode_word(std::string_view(s).substr(begin, hit - begin), ids);
      begin = hit;
    }
    model->encode_word(std::string_view(s).substr(begin), ids);
    return;
  }
  std::string prefixed;
  if (pre.byte_level && pre.add_prefix_space && text[0] != ' ') {
    prefixed = " " + std::string(text);
    text = prefixed;
  }
  if (!pre.split) return model->encode_word(text, ids);
  thread_local std::vector<std::pair<uint32_t, uint32_t>> pieces;
  pieces.clear();
  split_text(text, *pre.split, &pieces);
  for (const auto& [b, e] : pieces) model->encode_word(text.substr(b, e - b), ids);
}

void Tokenizer::Impl::encode_normalized(std::string_view text, bool at_text_start,
                                        bool parse_special, std::vector<int32_t>* ids) const {
  std::string normalized;
  if (!normalizer.is_identity()) {
    normalized = normalizer.apply(std::string(text));
    text = normalized;
  }
  if (normalized_matcher.empty()) return encode_plain(text, at_text_start, ids);
  std::vector<Segment> segments;
  normalized_matcher.split(text, !parse_special, &segments);
  for (const auto& seg : segments) {
    if (seg.id >= 0) {
      ids->push_back(seg.id);
    } else {
      encode_plain(seg.text, at_text_start && seg.text.data() == text.data(), ids);
    }
  }
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::load(const std::string& path) {
  namespace fs = std::filesystem;
  if (io::is_gguf_file(path)) return from_gguf(io::GgufFile(path));
  std::string file = path;
  if (fs::is_directory(path)) file = (fs::path(path) / "tokenizer.json").string();
  T2_CHECK(io::file_exists(file), "tokenizer file %s not found (expected a tokenizer.json file or "
           "a checkpoint directory that holds one)", file.c_str());
  const fs::path dir = fs::path(file).parent_path();
  const std::string config_path = (dir / "tokenizer_config.json").string();
  std::string config = io::file_exists(config_path) ? io::read_file(config_path) : "";
  Tokenizer tok = from_json(io::read_file(file), config, file, config_path);

  const std::string gen_path = (dir / "generation_config.json").string();
  if (io::file_exists(gen_path)) {
    const json gen = io::parse_json(io::read_file(gen_path), gen_path);
    const json eos = gen.value("eos_token_id", json());
    std::vector<int32_t> ids;
    for (const auto& v : eos.is_array() ? eos : json::array({eos})) {
      if (v.is_number_integer()) ids.push_back(v.get<int32_t>());
    }
    tok.add_eos_ids(ids);
  }
  return tok;
}

Tokenizer Tokenizer::from_json(const std::string& tokenizer_json, const std::string& config_json,
                               const std::string& name, const std::string& config_name_in) {
  BpeTables tables;
  const json root = parse_tokenizer_json(tokenizer_json, name, &tables);
  const std::string config_name =
      config_name_in.empty() ? "tokenizer_config.json of " + name : config_name_in;
  const json config = config_json.empty() ? json() : io::parse_json(config_json, config_name);
  return build(root, tables, config, name, config_name);
}

Tokenizer Tokenizer::from_gguf(const io::GgufFile& file) {
  const GgufTokenizerSpec spec = gguf_tokenizer_spec(file);
  const std::string name = file.path();
  Tokenizer tok = build(spec.root, spec.tables, spec.config, name, name + " (tokenizer metadata)");
  tok.add_eos_ids(spec.extra_eos_ids);
  return tok;
}

void Tokenizer::add_eos_ids(const std::vector<int32_t>& ids) {
  auto& e = impl_->eos_ids;
  e.insert(e.end(), ids.begin(), ids.end());
  std::sort(e.begin(), e.end());
  e.erase(std::unique(e.begin(), e.end()), e.end());
}

Tokenizer Tokenizer::build(const json& root, const BpeTables& tables, const json& config,
                           const std::string& name, const std::string& config_name) {
  auto impl = std::make_unique<Impl>();
  impl->source = name;
  T2_CHECK(root.is_object() && root.contains("model"),
           "%s: no \"model\" object (expected a Hugging Face tokenizer.json)", name.c_str());
  try {
    impl->normalizer = Normalizer(root.value("normalizer", json()), name);
    parse_pre_tokenizers(root.value("pre_tokenizer", json()), name, &impl->pre);
    impl->decoder = Decoder(root.value("decoder", json()), name);
    impl->model.emplace(root["model"], tables, impl->pre.byte_level, name);
    impl->vocab_size = impl->model->n_ids();

    for (const auto& t : root.value("added_tokens", json::array())) {
      AddedToken a;
      a.id = t.at("id").get<int32_t>();
      a.content = t.at("content").get<std::string>();
      a.special = t.value("special", false);
      a.normalized = t.value("normalized", !a.special);
      a.lstrip = t.value("lstrip", false);
      a.rstrip = t.value("rstrip", false);
      a.single_word = t.value("single_word", false);
      T2_CHECK(a.id >= 0 && !a.content.empty(), "%s: added token %s has a negative id or no "
               "content", name.c_str(), t.dump().c_str());
      T2_CHECK(find_invalid_utf8(a.content) == std::string::npos,
               "%s: added token %d is not valid UTF-8", name.c_str(), a.id);
      (a.normalized && !impl->normalizer.is_identity() ? impl->normalized_matcher
                                                       : impl->raw_matcher).add(a);
      impl->vocab_size = std::max(impl->vocab_size, static_cast<size_t>(a.id) + 1);
      impl->added_by_content[a.content] = a.id;
      impl->added_by_id[a.id] = std::move(a);
    }
  } catch (const json::exception& e) {
    T2_FAIL("%s: malformed tokenizer.json: %s", name.c_str(), e.what());
  }

  // BOS: the post-processor's first special token (TemplateProcessing, maybe in a Sequence).
  std::function<void(const json&)> find_bos = [&](const json& pp) {
    if (!pp.is_object() || impl->bos_id >= 0) return;
    if (pp.value("type", "") == "Sequence") {
      for (const auto& p : pp.value("processors", json::array())) find_bos(p);
    } else if (pp.value("type", "") == "TemplateProcessing") {
      const auto& single = pp.value("single", json::array());
      if (!single.empty() && single[0].contains("SpecialToken")) {
        const std::string bos = single[0]["SpecialToken"].value("id", "");
        const auto& st = pp.value("special_tokens", json::object());
        if (st.contains(bos) && !st[bos].value("ids", json::array()).empty())
          impl->bos_id = st[bos]["ids"][0].get<int32_t>();
      }
    }
  };
  find_bos(root.value("post_processor", json()));

  Tokenizer tok(std::move(impl));
  Impl& im = *tok.impl_;
  if (config.is_null()) {
    im.chat_template_error = name + ": no tokenizer_config.json beside it, so no chat template";
    return tok;
  }
  T2_CHECK(config.is_object(), "%s: expected a JSON object", config_name.c_str());
  const std::string bos = token_string(config.value("bos_token", json()));
  const std::string eos = token_string(config.value("eos_token", json()));
  if (!bos.empty()) {
    const int32_t id = tok.token_to_id(bos);
    T2_CHECK(id >= 0, "%s: bos_token '%s' is not a token", config_name.c_str(), bos.c_str());
    im.bos_id = id;
  }
  if (!eos.empty()) {
    const int32_t id = tok.token_to_id(eos);
    T2_CHECK(id >= 0, "%s: eos_token '%s' is not a token", config_name.c_str(), eos.c_str());
    im.eos_ids.push_back(id);
  }
  json tmpl = config.value("chat_template", json());
  if (tmpl.is_array()) {  // [{"name": ..., "template": ...}]: use "default"
    json chosen;
    for (const auto& t : tmpl)
      if (t.value("name", "") == "default") chosen = t.value("template", json());
    tmpl = chosen;
  }
  // "t2_chat_template": "NAME" (t2's own key) names a built-in template instead of Jinja text;
  // it is used by checkpoints made for t2 (the mini model) and wins over "chat_template".
  const json named = config.value("t2_chat_template", json());
  if (!named.is_null()) {
    T2_CHECK(named.is_string(), "%s: \"t2_chat_template\" must be a string naming a built-in "
             "template (%s), found %s", config_name.c_str(), ChatTemplate::builtin_names().c_str(),
             named.dump().c_str());
    try {
      im.chat_template = ChatTemplate::builtin(named.get<std::string>(), bos, eos);
    } catch (const Error& e) {
      T2_FAIL("%s: \"t2_chat_template\": %s", config_name.c_str(), e.what());
    }
    const int32_t eot = tok.token_to_id(im.chat_template->end_of_turn());
    if (eot >= 0) im.eos_ids.push_back(eot);
  } else if (!tmpl.is_string()) {
    im.chat_template_error = config_name + " has no chat_template (a base model?); choose one "
                             "of the built-in templates explicitly: " + ChatTemplate::builtin_names();
  } else {
    try {
      im.chat_template = ChatTemplate::recognise(tmpl.get<std::string>(), bos, eos, config_name);
      const int32_t eot = tok.token_to_id(im.chat_template->end_of_turn());
      if (eot >= 0) im.eos_ids.push_back(eot);
    } catch (const Error& e) {
      im.chat_template_error = e.what();
    }
  }
  std::sort(im.eos_ids.begin(), im.eos_ids.end());
  im.eos_ids.erase(std::unique(im.eos_ids.begin(), im.eos_ids.end()), im.eos_ids.end());
  return tok;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool parse_special) const {
  const size_t bad = find_invalid_utf8(text);
  T2_CHECK(bad == std::string_view::npos,
           "%s: input text is not valid UTF-8 (byte 0x%02X at offset %zu)", impl_->source.c_str(),
           bad == std::string_view::npos ? 0 : static_cast<uint8_t>(text[bad]), bad);
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (impl_->raw_matcher.empty()) {
    impl_->encode_normalized(text, true, parse_special, &ids);
    return ids;
  }
  std::vector<Segment> segments;
  impl_->raw_matcher.split(text, !parse_special, &segments);
  for (const auto& seg : segments) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
    } else {
      impl_->encode_normalized(seg.text, seg.text.data() == text.data(), parse_special, &ids);
    }
  }
  return ids;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    std::string t = id_to_token(id);
    if (!t.empty()) tokens.push_back(std::move(t));  // ids no token uses are skipped
  }
  return impl_->decoder.decode(std::move(tokens));
}

std::string Tokenizer::id_to_token(int32_t id) const {
  T2_CHECK(id >= 0 && static_cast<size_t>(id) < impl_->vocab_size,
           "%s: token id %d is out of range [0, %zu)", impl_->source.c_str(), id,
           impl_->vocab_size);
  auto it = impl_->added_by_id.find(id);
  if (it != impl_->added_by_id.end()) return it->second.content;
  return static_cast<size_t>(id) < impl_->model->n_ids() ? impl_->model->id_to_token(id) : "";
}

int32_t Tokenizer::token_to_id(std::string_view token) const {
  auto it = impl_->added_by_content.find(std::string(token));
  if (it != impl_->added_by_content.end()) return it->second;
  return impl_->model->token_to_id(token);
}

bool Tokenizer::is_special(int32_t id) const {
  auto it = impl_->added_by_id.find(id);
  return it != impl_->added_by_id.end() && it->second.special;
}

size_t Tokenizer::vocab_size() const { return impl_->vocab_size; }
int32_t Tokenizer::bos_id() const { return impl_->bos_id; }
const std::vector<int32_t>& Tokenizer::eos_ids() const { return impl_->eos_ids; }
const std::string& Tokenizer::source() const { return impl_->source; }

const ChatTemplate& Tokenizer::chat_template() const {
  if (!impl_->chat_template) T2_FAIL("%s", impl_->chat_template_error.c_str());
  return *impl_->chat_template;
}

std::string StreamDecoder::step(int32_t id) {
  ids_.push_back(id);
  const std::string text = tok_->decode(ids_);
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  const bool incomplete = text.size() >= 3 && text.compare(text.size() - 3, 3, kReplacement) == 0;
  if (text.size() <= prefix_text_.size() || incomplete) return {};
  // The window's text normally extends what was emitted; byte-fallback garbage can rewrite it, and
  // then the part beyond the old length is emitted as is.
  std::string out = text.substr(prefix_text_.size());
  // Slide the window: the ids not yet emitted become the context of the next step.
  ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(prefix_ids_));
  prefix_ids_ = ids_.size();
  prefix_text_ = tok_->decode(ids_);
  return out;
}

std::string StreamDecoder::flush() {
  const std::string text = tok_->decode(ids_);
  std::string out = text.size() > prefix_text_.size() ? text.substr(prefix_text_.size()) : "";
  ids_.clear();
  prefix_ids_ = 0;
  prefix_text_.clear();
  return out;
}

}  // namespace t2::tokenizer
