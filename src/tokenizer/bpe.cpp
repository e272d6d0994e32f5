// BPE word encoding; see bpe.h. The merge loop follows the reference's order exactly: a min-heap
// of (rank, position) over adjacent pairs, stale entries skipped when the pair at that position no
// longer produces the queued token.
#include "tokenizer/bpe.h"

#include <nlohmann/json.hpp>
#include <queue>

#include "base/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/unicode.h"

namespace t2::tokenizer {
namespace {

constexpr size_t kCacheLimit = 200000;   // entries; the cache is dropped when it grows past this
constexpr size_t kCacheMaxWord = 64;     // bytes; longer words are not cached

uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

}  // namespace

BpeModel::BpeModel(const nlohmann::json& model, bool byte_level, const std::string& source)
    : byte_level_(byte_level) {
  T2_CHECK(model.value("type", std::string("BPE")) == "BPE",
           "%s: model type '%s' is not supported (expected \"BPE\")", source.c_str(),
           model.value("type", std::string()).c_str());
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    T2_CHECK(!model.contains(key) || model[key].is_null(),
             "%s: BPE option %s is not supported (expected null)", source.c_str(), key);
  }
  T2_CHECK(!model.contains("dropout") || model["dropout"].is_null() || model["dropout"] == 0.0,
           "%s: BPE dropout is not supported (expected null)", source.c_str());
  byte_fallback_ = model.value("byte_fallback", false);
  fuse_unk_ = model.value("fuse_unk", false);
  ignore_merges_ = model.value("ignore_merges", false);
  T2_CHECK(model.contains("vocab") && model["vocab"].is_object(),
           "%s: model.vocab is missing or not an object", source.c_str());

  const auto& vocab = model["vocab"];
  vocab_.reserve(vocab.size() * 2);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    T2_CHECK(it.value().is_number_integer() && it.value().get<int64_t>() >= 0 &&
                 it.value().get<int64_t>() < (1 << 30),
             "%s: vocab entry '%s' has id %s (expected a non-negative integer)", source.c_str(),
             it.key().c_str(), it.value().dump().c_str());
    const auto id = it.value().get<int32_t>();
    if (static_cast<size_t>(id) >= id_to_token_.size()) id_to_token_.resize(id + 1);
    id_to_token_[id] = it.key();
    std::string key = it.key();
    if (byte_level_) {
      auto raw = alphabet_to_bytes(key);
      T2_CHECK(raw.has_value(), "%s: byte-level vocab entry '%s' (id %d) has a character outside "
               "the byte alphabet", source.c_str(), key.c_str(), id);
      key = std::move(*raw);
    }
    vocab_.emplace(std::move(key), id);
  }

  for (int b = 0; b < 256; ++b) {
    if (byte_level_) {
      byte_ids_[b] = lookup(std::string(1, static_cast<char>(b)));
      T2_CHECK(byte_ids_[b] >= 0, "%s: byte-level vocab lacks the token for byte 0x%02X",
               source.c_str(), b);
    } else {
      byte_ids_[b] = lookup(format("<0x%02X>", b));
    }
  }
  if (model.contains("unk_token") && !model["unk_token"].is_null()) {
    const std::string unk = model["unk_token"].get<std::string>();
    unk_id_ = token_to_id(unk);
    T2_CHECK(unk_id_ >= 0, "%s: unk_token '%s' is not in the vocab", source.c_str(), unk.c_str());
  }

  T2_CHECK(model.contains("merges") && model["merges"].is_array(),
           "%s: model.merges is missing or not an array", source.c_str());
  const auto& merges = model["merges"];
  merges_.reserve(merges.size() * 2);
  std::string left, right;
  int32_t rank = 0;
  for (const auto& m : merges) {
    if (m.is_string()) {  // "left right"
      const auto& s = m.get_ref<const std::string&>();
      const size_t sp = s.find(' ');
      T2_CHECK(sp != std::string::npos && s.find(' ', sp + 1) == std::string::npos,
               "%s: merge %d is '%s' (expected two tokens separated by one space)",
               source.c_str(), rank, s.c_str());
      left.assign(s, 0, sp);
      right.assign(s, sp + 1);
    } else {
      T2_CHECK(m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string(),
               "%s: merge %d is %s (expected \"a b\" or [\"a\", \"b\"])", source.c_str(), rank,
               m.dump().c_str());
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    }
    const int32_t a = token_to_id(left), b = token_to_id(right);
    const int32_t c = token_to_id(left + right);
    T2_CHECK(a >= 0 && b >= 0 && c >= 0,
             "%s: merge %d ('%s' '%s') uses or makes a token that is not in the vocab",
             source.c_str(), rank, left.c_str(), right.c_str());
    merges_.insert_or_assign(pair_key(a, b), MergeValue{rank, c});  // a repeated pair: last wins
    ++rank;
  }
}

int32_t BpeModel::lookup(std::string_view piece) const {
  auto it = vocab_.find(std::string(piece));
  return it == vocab_.end() ? -1 : it->second;
}

int32_t BpeModel::token_to_id(std::string_view token) const {
  if (!byte_level_) return lookup(token);
  auto raw = alphabet_to_bytes(token);
  return raw ? lookup(*raw) : -1;
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (int32_t id = lookup(word); id >= 0) {
      ids->push_back(id);
      return;
    }
  }
  const bool cacheable = word.size() <= kCacheMaxWord;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(std::string(word));
    if (it != cache_.end()) {
      ids->insert(ids->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  // Initial symbols: one per byte (byte-level) or one per character.
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  if (byte_level_) {
    for (char ch : word) symbols.push_back(byte_ids_[static_cast<uint8_t>(ch)]);
  } else {
    int32_t pending_unk = 0;  // bytes covered by a pending (fused) unknown token
    uint32_t cp;
    for (size_t i = 0; i < word.size();) {
      size_t len = utf8_decode(word, i, &cp);
      if (len == 0) len = 1;
      const std::string_view ch = word.substr(i, len);
      i += len;
      if (int32_t id = lookup(ch); id >= 0) {
        if (pending_unk) symbols.push_back(unk_id_), pending_unk = 0;
        symbols.push_back(id);
        continue;
      }
      if (byte_fallback_) {
        bool all = true;
        for (char b : ch) all = all && byte_ids_[static_cast<uint8_t>(b)] >= 0;
        if (all) {
          for (char b : ch) symbols.push_back(byte_ids_[static_cast<uint8_t>(b)]);
          continue;
        }
      }
      if (unk_id_ >= 0) {
        if (pending_unk && !fuse_unk_) symbols.push_back(unk_id_);
        pending_unk = 1;
      }
      // Without an unk token the character is dropped, as in the reference.
    }
    if (pending_unk) symbols.push_back(unk_id_);
  }
  std::vector<int32_t> out;
  merge_symbols(&symbols, &out);
  ids->insert(ids->end(), out.begin(), out.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kCacheLimit) cache_.clear();
    cache_.emplace(std::string(word), std::move(out));
  }
}

void BpeModel::merge_symbols(std::vector<int32_t>* symbols, std::vector<int32_t>* out) const {
  const int n = static_cast<int>(symbols->size());
  std::vector<int32_t>& id = *symbols;
  std::vector<int> prev(n), next(n);
  std::vector<char> alive(n, 1);
  for (int i = 0; i < n; ++i) prev[i] = i - 1, next[i] = i + 1 < n ? i + 1 : -1;

  struct Entry {
    int32_t rank, pos, new_id;
    bool operator<(const Entry& o) const {  // priority_queue pops the largest: invert
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Entry> queue;
  auto push_pair = [&](int pos) {
    const int nx = next[pos];
    if (nx < 0) return;
    auto it = merges_.find(pair_key(id[pos], id[nx]));
    if (it != merges_.end()) queue.push({it->second.rank, pos, it->second.new_id});
  };
  for (int i = 0; i + 1 < n; ++i) push_pair(i);

  while (!queue.empty()) {
    const Entry top = queue.top();
    queue.pop();
    if (!alive[top.pos] || next[top.pos] < 0) continue;
    const int right = next[top.pos];
    auto it = merges_.find(pair_key(id[top.pos], id[right]));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;  // stale entry
    id[top.pos] = top.new_id;
    alive[right] = 0;
    next[top.pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = top.pos;
    if (prev[top.pos] >= 0) push_pair(prev[top.pos]);
    push_pair(top.pos);
  }
  for (int i = 0; i < n; ++i)
    if (alive[i]) out->push_back(id[i]);
}

}  // namespace t2::tokenizer
