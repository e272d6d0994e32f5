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
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/flat_map.h"

namespace t2::tokenizer {

// model.vocab and model.merges of tokenizer.json in file order, read while parsing so that the
// 400k strings of a large vocabulary never enter the JSON DOM (that halves the load time).
struct BpeTables {
  std::vector<std::pair<std::string, int32_t>> vocab;       // token as spelled -> id
  std::vector<std::pair<std::string, std::string>> merges;  // (left, right) by rank
  bool has_vocab = false, has_merges = false;
};

// Parses tokenizer.json text; model.vocab and model.merges go to tables and are left empty in
// the returned DOM. Throws t2::Error naming source for malformed JSON, ids or merges.
nlohmann::json parse_tokenizer_json(const std::string& text, const std::string& source,
                                    BpeTables* tables);

class BpeModel {
 public:
  // Reads model = {"type": "BPE", ...} with its vocab and merges in tables. byte_level: the
  // vocabulary is in the byte-to-unicode alphabet. source names the file for error messages.
  // Throws t2::Error.
  BpeModel(const nlohmann::json& model, const BpeTables& tables, bool byte_level,
           const std::string& source);

  // Appends the ids of one word (raw bytes when byte_level, else UTF-8 text). Thread-safe.
  void encode_word(std::string_view word, std::vector<int32_t>* ids) const;

  // Token text as tokenizer.json spells it (alphabet text for byte-level models); "" if unused.
  const std::string& id_to_token(int32_t id) const { return id_to_token_[id]; }
  // Id of a token spelled as in tokenizer.json, or -1.
  int32_t token_to_id(std::string_view token) const;
  size_t n_ids() const { return id_to_token_.size(); }

 private:
  void encode_segment(std::string_view word, std::vector<int32_t>* ids) const;
  void merge_symbols(std::vector<int32_t>* symbols, std::vector<int32_t>* ids) const;
  int32_t lookup(std::string_view piece) const { return vocab_.get(piece); }  // model's space

  bool byte_level_;
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;
  int32_t unk_id_ = -1;
  StringIdMap vocab_;                     // raw bytes (byte-level) or text -> id
  std::vector<std::string> id_to_token_;  // [n_ids] spelled as in tokenizer.json
  MergeMap merges_;                       // (left id, right id) -> (rank, new id)
  int32_t byte_ids_[256];  // byte-level: id of each single byte; byte fallback: id of <0xNN>
  // Character-level models: adjacent code point pairs (a, b) that occur inside some token. Where
  // two in-vocabulary characters form no such pair, no merge can ever join them, so a long word
  // splits there into parts that encode independently (and fit the cache) with identical ids.
  MergeMap joinable_;

  // Word cache (results do not depend on it): word -> index into cache_spans_, whose
  // [offset, count] select ids in cache_ids_. Guarded by cache_mutex_.
  mutable std::mutex cache_mutex_;
  mutable StringIdMap cache_index_;
  mutable std::vector<std::pair<uint32_t, uint32_t>> cache_spans_;
  mutable std::vector<int32_t> cache_ids_;
};

}  // namespace t2::tokenizer
