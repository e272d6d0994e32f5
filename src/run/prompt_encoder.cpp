// Prompt encoding, end-of-generation ids and stop strings; see prompt_encoder.h.
#include "run/prompt_encoder.h"

#include <algorithm>
#include <utility>

#include "base/error.h"

namespace t2::run {

size_t find_stop(const std::string& text, const std::vector<std::string>& stop, size_t from) {
  size_t best = std::string::npos;
  for (const auto& s : stop) {
    if (s.empty()) continue;
    const size_t start = from > s.size() ? from - s.size() : 0;
    const size_t at = text.find(s, start);
    if (at != std::string::npos && at < best) best = at;
  }
  return best;
}

PromptEncoder::PromptEncoder(tokenizer::Tokenizer tokenizer, const model::LlamaConfig& config,
                             const std::string& chat_template)
    : tokenizer_(std::move(tokenizer)) {
  T2_CHECK(tokenizer_.vocab_size() <= static_cast<size_t>(config.n_vocab),
           "tokenizer %s has %zu ids but the model has vocab_size %lld: they do not belong "
           "together", tokenizer_.source().c_str(), tokenizer_.vocab_size(),
           static_cast<long long>(config.n_vocab));
  if (!chat_template.empty()) {
    const int32_t bos = tokenizer_.bos_id();
    const auto& eos = tokenizer_.eos_ids();
    builtin_ = tokenizer::ChatTemplate::builtin(chat_template,
                                                bos >= 0 ? tokenizer_.id_to_token(bos) : "",
                                                eos.empty() ? "" : tokenizer_.id_to_token(eos.front()));
    const int32_t eot = tokenizer_.token_to_id(builtin_->end_of_turn());
    if (eot >= 0) stop_ids_.push_back(eot);
  }
  // The tokenizer's eos ids include its own chat template's end-of-turn token.
  for (int32_t id : tokenizer_.eos_ids()) stop_ids_.push_back(id);
  for (int64_t id : config.eos_token_ids) stop_ids_.push_back(static_cast<int32_t>(id));
  std::sort(stop_ids_.begin(), stop_ids_.end());
  stop_ids_.erase(std::unique(stop_ids_.begin(), stop_ids_.end()), stop_ids_.end());
}

const tokenizer::ChatTemplate& PromptEncoder::chat_template() const {
  return builtin_ ? *builtin_ : tokenizer_.chat_template();
}

std::vector<int32_t> PromptEncoder::with_one_bos(std::vector<int32_t> ids) const {
  const int32_t bos = tokenizer_.bos_id();
  if (bos < 0) return ids;
  if (ids.empty() || ids.front() != bos) ids.insert(ids.begin(), bos);
  const auto n_bos = std::count(ids.begin(), ids.end(), bos);
  T2_CHECK(n_bos == 1, "the prompt holds %lld BOS tokens (the sample text spells one out?); "
           "expected exactly one at the start", static_cast<long long>(n_bos));
  return ids;
}

std::vector<int32_t> PromptEncoder::encode(const tasks::Prompt& prompt) const {
  std::vector<tokenizer::Message> messages;
  if (!prompt.system.empty()) messages.push_back({"system", prompt.system});
  messages.push_back({"user", prompt.user});
  const std::string text = chat_template().render(messages, /*add_generation_prompt=*/true) +
                           prompt.prefill;
  return with_one_bos(tokenizer_.encode(text, /*parse_special=*/true));
}

std::vector<int32_t> PromptEncoder::encode_chat(
    const std::vector<tokenizer::Message>& messages) const {
  return with_one_bos(tokenizer_.encode(chat_template().render(messages, true), true));
}

std::vector<int32_t> PromptEncoder::encode_text(const std::string& text) const {
  return with_one_bos(tokenizer_.encode(text, true));
}

std::string PromptEncoder::completion(std::vector<int32_t> ids, bool ends_with_stop_id,
                                      const std::vector<std::string>& stop) const {
  if (ends_with_stop_id && !ids.empty()) ids.pop_back();
  std::string text = tokenizer_.decode(ids);
  const size_t cut = find_stop(text, stop);
  if (cut != std::string::npos) text.resize(cut);
  return text;
}

StopStrings::StopStrings(const tokenizer::Tokenizer& tok, size_t n_requests)
    : decoders_(n_requests, tokenizer::StreamDecoder(tok)), text_(n_requests),
      checked_(n_requests, 0) {}

void StopStrings::add(int32_t request, int32_t token) {
  text_[request] += decoders_[request].step(token);
}

bool StopStrings::hit(int32_t request, const std::vector<std::string>& stop) {
  if (stop.empty()) return false;
  const bool found = find_stop(text_[request], stop, checked_[request]) != std::string::npos;
  checked_[request] = text_[request].size();
  return found;
}

}  // namespace t2::run
