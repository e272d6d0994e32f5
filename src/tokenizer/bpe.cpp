// BPE word encoding; see bpe.h. The merge loop follows the reference's order exactly: a min-heap
// of (rank, position) over adjacent pairs, stale entries skipped when the pair at that position no
// longer produces the queued token.
#include "tokenizer/bpe.h"

#include <nlohmann/json.hpp>
#include <algorithm>

#include "base/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/unicode.h"

namespace t2::tokenizer {
namespace {

constexpr size_t kCacheLimit = 200000;  // entries; the cache is dropped when it grows past this
constexpr size_t kCacheMaxWord = 64;    // bytes; longer words are not cached

}  // namespace

nlohmann::json parse_tokenizer_json(const std::string& text, const std::string& source,
                                    BpeTables* tables) {
  using nlohmann::json;
  std::string keys[4];   // the current key at depths 1..3
  std::string pending;   // vocab: the key whose id comes next; merges: left half of [a, b]
  int pair_fill = 0;     // strings seen in the current [a, b] merge
  auto in = [&](const char* what) { return keys[1] == "model" && keys[2] == what; };
  auto add_merge = [&](const std::string& m) {
    const size_t sp = m.find(' ');
    T2_CHECK(sp != std::string::npos && m.find(' ', sp + 1) == std::string::npos,
             "%s: merge %zu is '%s' (expected two tokens separated by one space)", source.c_str(),
             tables->merges.size(), m.c_str());
    tables->merges.emplace_back(m.substr(0, sp), m.substr(sp + 1));
  };
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) -> bool {
    switch (event) {
      case json::parse_event_t::key:
        if (depth <= 3) keys[depth] = parsed.get<std::string>();
        if (depth == 2 && keys[1] == "model") {
          tables->has_vocab |= keys[2] == "vocab";
          tables->has_merges |= keys[2] == "merges";
        }
        if (depth == 3 && in("vocab")) {
          pending = parsed.get<std::string>();
          return false;
        }
        return true;
      case json::parse_event_t::value:
        if (depth == 3 && in("vocab")) {
          T2_CHECK(parsed.is_number_integer() && parsed.get<int64_t>() >= 0 &&
                       parsed.get<int64_t>() < (int64_t{1} << 30),
                   "%s: vocab entry '%s' has id %s (expected a non-negative integer)",
                   source.c_str(), pending.c_str(), parsed.dump().c_str());
          tables->vocab.emplace_back(std::move(pending), parsed.get<int32_t>());
          return false;
        }
        if (depth == 3 && in("merges")) {
          T2_CHECK(parsed.is_string(), "%s: merge %zu is %s (expected \"a b\" or [\"a\", \"b\"])",
                   source.c_str(), tables->merges.size(), parsed.dump().c_str());
          add_merge(parsed.get_ref<const std::string&>());
          return false;
        }
        if (depth == 4 && in("merges")) {
          T2_CHECK(parsed.is_string() && pair_fill < 2, "%s: merge %zu is malformed (expected "
                   "[\"a\", \"b\"])", source.c_str(), tables->merges.size());
          if (pair_fill++ == 0) {
            pending = parsed.get<std::string>();
          } else {
            tables->merges.emplace_back(std::move(pending), parsed.get<std::string>());
          }
          return false;
        }
        return true;
      case json::parse_event_t::array_start:
        if (depth == 3 && in("merges")) pair_fill = 0;
        return true;
      case json::parse_event_t::array_end:
        if (depth == 3 && in("merges")) {
          T2_CHECK(pair_fill == 2, "%s: merge %zu is malformed (expected [\"a\", \"b\"])",
                   source.c_str(), tables->merges.size());
          return false;
        }
        return true;
      default:
        return true;
    }
  };
  try {
    return json::parse(text, cb);
  } catch (const json::exception& e) {
    T2_FAIL("%s: not valid JSON: %s", source.c_str(), e.what());
  }
}

BpeModel::BpeModel(const nlohmann::json& model, const BpeTables& tables, bool byte_level,
                   const std::string& source)
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
  T2_CHECK(tables.has_vocab && !tables.vocab.empty(), "%s: model.vocab is missing or empty",
           source.c_str());
  T2_CHECK(tables.has_merges, "%s: model.merges is missing", source.c_str());

  int32_t max_id = 0;
  for (const auto& [token, id] : tables.vocab) max_id = std::max(max_id, id);
  id_to_token_.resize(static_cast<size_t>(max_id) + 1);
  vocab_.reserve(tables.vocab.size());
  StringIdMap spelled;  // byte-level: tokens as spelled in the file (merges use this spelling)
  if (byte_level_) spelled.reserve(tables.vocab.size());
  std::string raw;
  for (const auto& [token, id] : tables.vocab) {
    id_to_token_[id] = token;
    if (byte_level_) {
      auto bytes = alphabet_to_bytes(token);
      T2_CHECK(bytes.has_value(), "%s: byte-level vocab entry '%s' (id %d) has a character "
               "outside the byte alphabet", source.c_str(), token.c_str(), id);
      vocab_.set(*bytes, id);
      spelled.set(token, id);
    } else {
      vocab_.set(token, id);
    }
  }
  const StringIdMap& by_spelling = byte_level_ ? spelled : vocab_;

  for (int b = 0; b < 256; ++b) {
    if (byte_level_) {
      // -1 when absent: SmolLM2's vocabulary lacks 21 bytes (6 control characters and bytes
      // that never occur in UTF-8); such a byte becomes unk or is dropped, as in the reference.
      byte_ids_[b] = lookup(std::string(1, static_cast<char>(b)));
    } else {
      byte_ids_[b] = lookup(format("<0x%02X>", b));
    }
  }
  if (model.contains("unk_token") && !model["unk_token"].is_null()) {
    const std::string unk = model["unk_token"].get<std::string>();
    unk_id_ = by_spelling.get(unk);
    T2_CHECK(unk_id_ >= 0, "%s: unk_token '%s' is not in the vocab", source.c_str(), unk.c_str());
  }

  if (!byte_level_) {
    size_t n_pairs = 0;
    for (const auto& [token, id] : tables.vocab) n_pairs += token.size();
    joinable_.reserve(n_pairs);
    uint32_t prev = 0, cp = 0;
    for (const auto& [token, id] : tables.vocab) {
      for (size_t i = 0, len; i < token.size(); i += len, prev = cp) {
        len = utf8_decode(token, i, &cp);
        if (len == 0) len = 1, cp = 0xFFFFFFFFu;  // never equal to a decoded code point
        if (i > 0) joinable_.set(static_cast<int32_t>(prev), static_cast<int32_t>(cp), {0, 0});
      }
    }
  }

  merges_.reserve(tables.merges.size());
  std::string joined;
  int32_t rank = 0;
  for (const auto& [left, right] : tables.merges) {
    joined.assign(left).append(right);
    const int32_t a = by_spelling.get(left), b = by_spelling.get(right);
    const int32_t c = by_spelling.get(joined);
    T2_CHECK(a >= 0 && b >= 0 && c >= 0,
             "%s: merge %d ('%s' '%s') uses or makes a token that is not in the vocab",
             source.c_str(), rank, left.c_str(), right.c_str());
    merges_.set(a, b, {rank, c});  // a repeated pair: the last one wins, as in the reference
    ++rank;
  }
}

int32_t BpeModel::token_to_id(std::string_view token) const {
  if (!byte_level_) return lookup(token);
  auto raw = alphabet_to_bytes(token);
  return raw ? lookup(*raw) : -1;
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>* ids) const {
  if (byte_level_ || word.size() <= kCacheMaxWord) return encode_segment(word, ids);
  // Split where no token joins the neighbouring characters (see joinable_).
  size_t begin = 0;
  uint32_t prev = 0, cp = 0;
  bool prev_known = false;
  for (size_t i = 0, len; i < word.size(); i += len, prev = cp) {
    len = utf8_decode(word, i, &cp);
    if (len == 0) len = 1, cp = 0xFFFFFFFFu;
    const bool known = len > 0 && cp != 0xFFFFFFFFu && lookup(word.substr(i, len)) >= 0;
    if (i > 0 && known && prev_known &&
        joinable_.get(static_cast<int32_t>(prev), static_cast<int32_t>(cp)) == nullptr) {
      encode_segment(word.substr(begin, i - begin), ids);
      begin = i;
    }
    prev_known = known;
  }
  encode_segment(word.substr(begin), ids);
}

void BpeModel::encode_segment(std::string_view word, std::vector<int32_t>* ids) const {
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
    const int32_t slot = cache_index_.get(word);
    if (slot >= 0) {
      const auto [offset, count] = cache_spans_[slot];
      ids->insert(ids->end(), cache_ids_.begin() + offset, cache_ids_.begin() + offset + count);
      return;
    }
  }
  // Initial symbols: one per byte (byte-level) or one per character.
  thread_local std::vector<int32_t> symbols;
  symbols.clear();
  if (byte_level_) {
    bool pending_unk = false;  // a fused unknown run is open
    for (char ch : word) {
      const int32_t id = byte_ids_[static_cast<uint8_t>(ch)];
      if (id >= 0) {
        symbols.push_back(id);
        pending_unk = false;
      } else if (unk_id_ >= 0 && !(pending_unk && fuse_unk_)) {
        symbols.push_back(unk_id_);
        pending_unk = true;
      }  // without an unk token the byte is dropped
    }
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
  const size_t first = ids->size();
  merge_symbols(&symbols, ids);
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_spans_.size() >= kCacheLimit) {
      cache_index_.clear();
      cache_spans_.clear();
      cache_ids_.clear();
    }
    cache_index_.set(word, static_cast<int32_t>(cache_spans_.size()));
    cache_spans_.emplace_back(static_cast<uint32_t>(cache_ids_.size()),
                              static_cast<uint32_t>(ids->size() - first));
    cache_ids_.insert(cache_ids_.end(), ids->begin() + first, ids->end());
  }
}

void BpeModel::merge_symbols(std::vector<int32_t>* symbols, std::vector<int32_t>* out) const {
  const int n = static_cast<int>(symbols->size());
  std::vector<int32_t>& id = *symbols;
  thread_local std::vector<int> prev, next;
  thread_local std::vector<char> alive;
  prev.resize(n);
  next.resize(n);
  alive.assign(n, 1);
  for (int i = 0; i < n; ++i) prev[i] = i - 1, next[i] = i + 1 < n ? i + 1 : -1;

  struct Entry {
    int32_t rank, pos, new_id;
    bool operator<(const Entry& o) const {  // the heap pops the largest: invert
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  thread_local std::vector<Entry> heap;
  heap.clear();
  auto push_pair = [&](int pos) {
    const int nx = next[pos];
    if (nx < 0) return;
    if (const auto* m = merges_.get(id[pos], id[nx])) {
      heap.push_back({m->rank, pos, m->new_id});
      std::push_heap(heap.begin(), heap.end());
    }
  };
  for (int i = 0; i + 1 < n; ++i) push_pair(i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    const Entry top = heap.back();
    heap.pop_back();
    if (!alive[top.pos] || next[top.pos] < 0) continue;
    const int right = next[top.pos];
    const auto* m = merges_.get(id[top.pos], id[right]);
    if (m == nullptr || m->new_id != top.new_id) continue;  // stale entry
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
