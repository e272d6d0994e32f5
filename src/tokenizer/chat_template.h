// Chat templates built in for the supported families. A checkpoint's Jinja chat_template (from
// tokenizer_config.json) is recognised by its exact text and rendered by hand-written C++ that
// produces the same string as the Jinja template for system/user/assistant turns. There is no
// general Jinja engine: an unknown template is refused with the file's name.
//
// Supported: Llama-3 Instruct ("llama3"), Mistral-7B-Instruct v0.1 ("mistral-v0.1") and
// v0.2/Mixtral ("mistral-v0.2"), and the ChatML family: plain ChatML ("chatml") and SmolLM2's
// ChatML with a default system turn ("smollm2"). Immutable after construction; render is
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace t2::tokenizer {

struct Message {
  std::string role;     // "system", "user" or "assistant"
  std::string content;
};

class ChatTemplate {
 public:
  // Recognises template_text (the chat_template value). bos/eos: the checkpoint's bos_token and
  // eos_token strings. Throws t2::Error naming source when the template is not built in.
  static ChatTemplate recognise(const std::string& template_text, const std::string& bos,
                                const std::string& eos, const std::string& source);
  // A built-in template by name (see builtin_names()), e.g. for a base
  // checkpoint that ships none. Throws t2::Error for an unknown name.
  static ChatTemplate builtin(std::string_view name, const std::string& bos,
                              const std::string& eos);
  // Names accepted by builtin(), comma-separated.
  static std::string builtin_names();

  // The prompt text (BOS included, as the template writes it); encode it with special-token
  // parsing on. Throws t2::Error where the Jinja template would raise (e.g. Mistral with a
  // system turn or turns that do not alternate user/assistant).
  std::string render(const std::vector<Message>& messages, bool add_generation_prompt) const;

  const std::string& name() const { return name_; }
  // The token text that closes an assistant turn ("<|eot_id|>" for Llama 3, "<|im_end|>" for
  // ChatML, eos for Mistral).
  const std::string& end_of_turn() const { return end_of_turn_; }

 private:
  enum class Kind { llama3, mistral_v01, mistral_v02, chatml };
  ChatTemplate(Kind kind, std::string name, std::string bos, std::string eos);
  Kind kind_;
  std::string name_, bos_, eos_, end_of_turn_;
  std::string default_system_;  // chatml: system turn written when the first turn is not one
};

// 64-bit FNV-1a of text; how templates are recognised (with their length).
uint64_t template_fingerprint(std::string_view text);

}  // namespace t2::tokenizer
