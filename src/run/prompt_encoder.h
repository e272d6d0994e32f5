// From a task's prompt to token ids, and from generated ids back to the text a scorer sees — the one
// place for these rules, shared by evaluation, dispatch, search, training and generate:
//   - the chat template: the checkpoint's own, or a built-in one by name (--chat-template);
//   - exactly one BOS, at the start (a template that writes it, or the encoder adding it);
//   - generation ends at any id the tokenizer or the model calls an end (eos, end of turn) or at a
//     stop string, and the completion is the decoded text cut before the first stop string.
// Immutable after construction; encode/complete are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/llama/config.h"
#include "tasks/prompt.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace t2::run {

class PromptEncoder {
 public:
  // chat_template: a built-in template name, or "" for the checkpoint's own (encode() and
  // encode_chat() then throw t2::Error naming the file when it has none). Throws when the tokenizer
  // has more ids than the model.
  PromptEncoder(tokenizer::Tokenizer tokenizer, const model::LlamaConfig& config,
                const std::string& chat_template = "");

  // Rendered chat (system turn when non-empty, user turn, generation prompt) + the pre-fill, with
  // one BOS. Throws t2::Error when the text spells out another BOS.
  std::vector<int32_t> encode(const tasks::Prompt& prompt) const;
  // Any conversation with the generation prompt (e.g. `t2 generate --chat`), one BOS.
  std::vector<int32_t> encode_chat(const std::vector<tokenizer::Message>& messages) const;
  // Plain text with one BOS in front (no template).
  std::vector<int32_t> encode_text(const std::string& text) const;

  // Ids that end a generation, sorted.
  const std::vector<int32_t>& stop_ids() const { return stop_ids_; }
  // The text a scorer sees: ids decoded without a final stop id (when ends_with_stop_id), cut
  // before the first occurrence of any stop string.
  std::string completion(std::vector<int32_t> ids, bool ends_with_stop_id,
                         const std::vector<std::string>& stop) const;

  const tokenizer::Tokenizer& tokenizer() const { return tokenizer_; }
  // The template in use; throws t2::Error naming the tokenizer files when there is none.
  const tokenizer::ChatTemplate& chat_template() const;

 private:
  std::vector<int32_t> with_one_bos(std::vector<int32_t> ids) const;

  tokenizer::Tokenizer tokenizer_;
  std::optional<tokenizer::ChatTemplate> builtin_;
  std::vector<int32_t> stop_ids_;
};

// Position of the first occurrence in text of any non-empty stop string, searching from
// `from` minus the longest stop string's length (so that a string split across tokens is found);
// npos when none.
size_t find_stop(const std::string& text, const std::vector<std::string>& stop, size_t from = 0);

// Stop strings over the streamed output of one batched generation: add() (from generate()'s
// on_token) appends each request's decoded text, hit() (from its stop_check) looks for any of the
// request's stop strings in the text added since the previous check.
class StopStrings {
 public:
  StopStrings(const tokenizer::Tokenizer& tok, size_t n_requests);
  void add(int32_t request, int32_t token);
  bool hit(int32_t request, const std::vector<std::string>& stop);

 private:
  std::vector<tokenizer::StreamDecoder> decoders_;
  std::vector<std::string> text_;
  std::vector<size_t> checked_;
};

}  // namespace t2::run
