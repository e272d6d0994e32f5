// Hugging Face tokenizers in C++: loads a checkpoint's tokenizer.json (+ tokenizer_config.json)
// and encodes/decodes exactly as Hugging Face's `tokenizers` library does for the supported
// families: byte-level BPE (Llama 3, GPT-2 style) and SentencePiece-style BPE (Mistral, Llama 2:
// metaspace normalizer, byte fallback, unk). Chat prompts live in chat_template.h; streaming
// decoding in StreamDecoder below. Model-specific details stay behind the Impl pointer.
//
// Thread-safety: a loaded Tokenizer is immutable; encode/decode may run concurrently.
// Cost: load parses the JSON once (about 0.3 s for Llama 3's 9 MB file); encode is linear in the
// text with a word cache.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace t2::io {
class GgufFile;  // io/gguf.h
}

namespace t2::tokenizer {

class ChatTemplate;
struct BpeTables;  // tokenizer/bpe.h

class Tokenizer {
 public:
  // path: a tokenizer.json file, a checkpoint directory holding one, or a GGUF file (tokenizer
  // from its metadata, see from_gguf). tokenizer_config.json and generation_config.json beside a
  // tokenizer.json are read when present (BOS/EOS names, chat template).
  // Throws t2::Error naming the file for anything unsupported or malformed.
  static Tokenizer load(const std::string& path);

  // The tokenizer in a GGUF file's metadata (tokenizer/gguf_vocab.h): vocabulary, merges,
  // pre-tokenizer by tokenizer.ggml.pre, specials from the token types, BOS only when
  // tokenizer.ggml.add_bos_token (or the pre-tokenizer's llama.cpp default) says it is added,
  // EOS plus the eot/eom ids, and tokenizer.chat_template.
  static Tokenizer from_gguf(const io::GgufFile& file);

  // Builds a tokenizer from file contents; config_json may be empty. name and config_name (the
  // files' names, config_name defaulting to one derived from name) are used in messages.
  static Tokenizer from_json(const std::string& tokenizer_json, const std::string& config_json,
                             const std::string& name, const std::string& config_name = "");

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Ids of text without BOS. parse_special: added/special tokens written in the text become their
  // ids (the reference's default); false treats special tokens as plain text. Throws t2::Error
  // when text is not valid UTF-8 (naming the byte offset).
  std::vector<int32_t> encode(std::string_view text, bool parse_special = true) const;

  // Text of ids, special tokens included, as the reference's decode(ids,
  // skip_special_tokens=false) without clean-up. Incomplete UTF-8 becomes U+FFFD.
  // Throws t2::Error for an id outside [0, vocab_size()).
  std::string decode(const std::vector<int32_t>& ids) const;

  // Token text as spelled in tokenizer.json ("" for an id no token uses); throws when out of range.
  std::string id_to_token(int32_t id) const;
  // Id of a token as spelled in tokenizer.json (added tokens included), or -1.
  int32_t token_to_id(std::string_view token) const;
  bool is_special(int32_t id) const;
  // 1 + the largest id of the vocabulary and the added tokens.
  size_t vocab_size() const;

  // The BOS id that starts every prompt (tokenizer_config.json bos_token, else the
  // post-processor's first special token; for GGUF only when add_bos_token), or -1 for none.
  int32_t bos_id() const;
  // Ids that end generation: tokenizer_config.json eos_token, generation_config.json
  // eos_token_id(s), and the chat template's end-of-turn token; sorted, no duplicates.
  const std::vector<int32_t>& eos_ids() const;

  // The checkpoint's chat template. Throws t2::Error naming the file when the checkpoint has none
  // or has one that is not built in.
  const ChatTemplate& chat_template() const;

  // Where the tokenizer came from (file path or the name given to from_json).
  const std::string& source() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  // tokenizer.json (vocab and merges in tables) + parsed tokenizer_config.json (null: none).
  static Tokenizer build(const nlohmann::json& root, const BpeTables& tables,
                         const nlohmann::json& config, const std::string& name,
                         const std::string& config_name);
  void add_eos_ids(const std::vector<int32_t>& ids);  // sorted, no duplicates
  std::unique_ptr<Impl> impl_;
};

// Incremental decoding for streaming and stop strings: feed ids one at a time and get the new
// text once it is complete, never half a UTF-8 character. The concatenation of everything step()
// and flush() return equals decode(all ids) (one exception: byte-fallback tokens that form invalid
// UTF-8 after valid bytes make the reference rewrite text already emitted; the stream then goes on
// from the new text). Each step decodes only a short window of ids. Holds a reference to the
// tokenizer; not thread-safe.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer) : tok_(&tokenizer) {}

  // Adds one id; returns text that became complete (possibly empty).
  std::string step(int32_t id);
  // Returns whatever is still held back (an incomplete character ends as U+FFFD) and resets.
  std::string flush();

 private:
  const Tokenizer* tok_;
  std::vector<int32_t> ids_;   // ids since the start of the current window
  size_t prefix_ids_ = 0;      // ids_[0, prefix_ids_) are already emitted
  std::string prefix_text_;    // decode(ids_[0, prefix_ids_))
};

}  // namespace t2::tokenizer
