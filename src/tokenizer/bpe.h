// The BPE model of a tokenizer.json: vocabulary, merges by rank, byte fallback (<0xNN> pieces),
// unknown-token fusing and ignore_merges. It turns one pre-tokenized word into ids with the same
// priority-queue merge order as Hugging Face's tokenizers. Not here: splitting text into words,
// normalizers, added tokens (tokenizer.cpp).
//
// Byte-level vocabularies (Llama 3) are stored in the byte-to-unicode alphabet; this model keeps
// them in raw bytes instead, so callers pass raw bytes and no alphabet text is ever built.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace t2::tokenizer {

class BpeModel {
 public:
  // Reads model = {"type": "BPE", "vocab", "merges", ...}. byte_level: the vocabulary is in the
  // byte-to-unicode alphabet. source names the file for error messages. Throws t2::Error.
  BpeModel(const nlohmann::json& model, bool byte_level, const std::string& source);

  // Appends the ids of one word (raw bytes when byte_level, else UTF-8 text). Thread-safe.
  void encode_word(std::string_view word, std::vector<int32_t>* ids) const;

  // Token text as tokenizer.json spells it (alphabet text for byte-level models); "" if unused.
  const std::string& id_to_token(int32_t id) const { return id_to_token_[id]; }
  // Id of a token spelled as in tokenizer.json, or -1.
  int32_t token_to_id(std::string_view token) const;
  size_t n_ids() const { return id_to_token_.size(); }

 private:
  struct MergeValue {
    int32_t rank;
    int32_t new_id;
  };
  void merge_symbols(std::vector<int32_t>* symbols, std::vector<int32_t>* ids) const;
  int32_t lookup(std::string_view piece) const;  // in the model's own byte/text space

  bool byte_level_;
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;
  int32_t unk_id_ = -1;
  std::unordered_map<std::string, int32_t> vocab_;  // raw bytes (byte-level) or text -> id
  std::vector<std::string> id_to_token_;           // [n_ids] spelled as in tokenizer.json
  std::unordered_map<uint64_t, MergeValue> merges_;  // (left id << 32 | right id) -> merge
  int32_t byte_ids_[256];  // byte-level: id of each single byte; byte fallback: id of <0xNN>

  // Word cache (results do not depend on it). Guarded by cache_mutex_.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace t2::tokenizer
