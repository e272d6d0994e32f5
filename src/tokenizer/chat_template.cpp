// Built-in chat templates; see chat_template.h. Each render function mirrors one Jinja template
// statement by statement; the test fixtures hold Jinja-rendered references.
#include "tokenizer/chat_template.h"

#include "base/error.h"
#include "tokenizer/unicode.h"

namespace t2::tokenizer {
namespace {

struct KnownTemplate {
  const char* name;
  uint64_t fingerprint;
  size_t size;
};

// Exact chat_template texts we recognise, by fingerprint and byte length.
constexpr KnownTemplate kKnown[] = {
    {"llama3", 0x0e60067a5537498eull, 389},        // Meta-Llama-3-{8B,70B}-Instruct
    {"mistral-v0.1", 0xc730acc029ce6ee0ull, 477},  // Mistral-7B-Instruct-v0.1
    {"mistral-v0.2", 0x8c734b90b4f8d84dull, 470},  // Mistral-7B-Instruct-v0.2, Mixtral-8x7B
    {"chatml", 0xa41d6bae9b9141bcull, 199},        // plain ChatML (OpenHermes-2.5 and many more)
    {"smollm2", 0x45ec583d4d25bc3aull, 368},       // SmolLM2-*-Instruct: ChatML + default system
};

// The system turn SmolLM2's template writes when the conversation does not start with one.
constexpr const char* kSmolLM2System = "You are a helpful AI assistant named SmolLM, trained by "
                                       "Hugging Face";

// Python's str.isspace(), which Jinja's trim filter uses: White_Space plus U+001C..U+001F.
bool py_space(uint32_t cp) { return (cp >= 0x1C && cp <= 0x1F) || (char_class(cp) & kClassSpace); }

// Jinja `| trim`: strips Python whitespace at both ends.
std::string py_trim(std::string_view s) {
  size_t begin = 0, end = s.size();
  uint32_t cp;
  while (begin < end) {
    const size_t len = utf8_decode(s, begin, &cp);
    if (len == 0 || !py_space(cp)) break;
    begin += len;
  }
  while (end > begin) {
    size_t back = 1;
    while (back < 4 && back < end - begin && (static_cast<uint8_t>(s[end - back]) & 0xC0) == 0x80)
      ++back;
    if (utf8_decode(s, end - back, &cp) != back || !py_space(cp)) break;
    end -= back;
  }
  return std::string(s.substr(begin, end - begin));
}

}  // namespace

uint64_t template_fingerprint(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : text) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

ChatTemplate::ChatTemplate(Kind kind, std::string name, std::string bos, std::string eos)
    : kind_(kind), name_(std::move(name)), bos_(std::move(bos)), eos_(std::move(eos)) {
  end_of_turn_ = kind_ == Kind::llama3 ? "<|eot_id|>" : kind_ == Kind::chatml ? "<|im_end|>" : eos_;
}

std::string ChatTemplate::builtin_names() {
  std::string out;
  for (const auto& k : kKnown) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

ChatTemplate ChatTemplate::builtin(std::string_view name, const std::string& bos,
                                   const std::string& eos) {
  if (name == "llama3") return ChatTemplate(Kind::llama3, "llama3", bos, eos);
  if (name == "mistral-v0.1") return ChatTemplate(Kind::mistral_v01, "mistral-v0.1", bos, eos);
  if (name == "mistral-v0.2") return ChatTemplate(Kind::mistral_v02, "mistral-v0.2", bos, eos);
  if (name == "chatml") return ChatTemplate(Kind::chatml, "chatml", bos, eos);
  if (name == "smollm2") {
    ChatTemplate t(Kind::chatml, "smollm2", bos, eos);
    t.default_system_ = kSmolLM2System;
    return t;
  }
  T2_FAIL("unknown chat template '%.*s' (built in: %s)", static_cast<int>(name.size()), name.data(),
          builtin_names().c_str());
}

ChatTemplate ChatTemplate::recognise(const std::string& template_text, const std::string& bos,
                                     const std::string& eos, const std::string& source) {
  const uint64_t fp = template_fingerprint(template_text);
  for (const auto& k : kKnown) {
    if (k.fingerprint == fp && k.size == template_text.size()) return builtin(k.name, bos, eos);
  }
  T2_FAIL("%s: the chat_template (%zu bytes, fingerprint %016llx) is not one of the built-in "
          "templates (%s); t2 renders only templates it knows exactly. Choose the built-in one "
          "that matches the model with --chat-template NAME, or add the template to "
          "src/tokenizer/chat_template.cpp",
          source.c_str(), template_text.size(), static_cast<unsigned long long>(fp),
          builtin_names().c_str());
}

std::string ChatTemplate::render(const std::vector<Message>& messages,
                                 bool add_generation_prompt) const {
  std::string out;
  if (kind_ == Kind::chatml) {
    // <|im_start|>ROLE\nCONTENT<|im_end|>\n per turn, content as is; smollm2 first writes its
    // default system turn when the first message is not a system message.
    for (size_t i = 0; i < messages.size(); ++i) {
      if (i == 0 && !default_system_.empty() && messages[0].role != "system")
        out += "<|im_start|>system\n" + default_system_ + "<|im_end|>\n";
      out += "<|im_start|>" + messages[i].role + "\n" + messages[i].content + "<|im_end|>\n";
    }
    if (add_generation_prompt) out += "<|im_start|>assistant\n";
    return out;
  }
  if (kind_ == Kind::llama3) {
    // bos on the first turn; header, blank line, trimmed content, <|eot_id|> per turn.
    for (size_t i = 0; i < messages.size(); ++i) {
      if (i == 0) out += bos_;
      out += "<|start_header_id|>" + messages[i].role + "<|end_header_id|>\n\n" +
             py_trim(messages[i].content) + "<|eot_id|>";
    }
    if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
    return out;
  }
  // Mistral Instruct: bos, then [INST] user [/INST] / assistant</s> turns, strictly alternating
  // and starting with the user. The template has no generation prompt of its own.
  out += bos_;
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if ((m.role == "user") != (i % 2 == 0)) {
      T2_FAIL("chat template %s: conversation roles must alternate user/assistant/user/... "
              "(message %zu has role '%s')", name_.c_str(), i, m.role.c_str());
    }
    if (m.role == "user") {
      out += "[INST] " + m.content + " [/INST]";
    } else if (m.role == "assistant") {
      out += m.content + eos_ + (kind_ == Kind::mistral_v01 ? " " : "");
    } else {
      T2_FAIL("chat template %s: only user and assistant roles are supported (message %zu has "
              "role '%s')", name_.c_str(), i, m.role.c_str());
    }
  }
  return out;
}

}  // namespace t2::tokenizer
