// Two small open-addressing hash tables for the BPE model's hot lookups: string -> id (vocabulary)
// and (id, id) -> merge. Insert-only, linear probing, power-of-two capacity; they replace
// std::unordered_map, whose node allocations and pointer chasing dominated load and encode time.
// Not thread-safe for insertion; lookups are const and may run concurrently.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace t2::tokenizer {

inline uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 32);
}

inline size_t table_capacity(size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  return cap;
}

// Maps byte strings to int32 values; keys are copied into one arena.
class StringIdMap {
 public:
  void reserve(size_t n) { rehash(table_capacity(n)); }

  // Inserts or overwrites.
  void set(std::string_view key, int32_t value) {
    if ((n_ + 1) * 2 > slots_.size()) rehash(table_capacity(n_ + 1) * 2);
    if (arena_.empty()) arena_.reserve(1024);
    const uint64_t h = hash_bytes(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.len < 0) {
        s = Slot{static_cast<uint32_t>(arena_.size()), static_cast<int32_t>(key.size()),
                 static_cast<uint32_t>(h), value};
        arena_.append(key);
        ++n_;
        return;
      }
      if (matches(s, key, h)) {
        s.value = value;
        return;
      }
    }
  }

  // Value of key, or -1.
  int32_t get(std::string_view key) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash_bytes(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.len < 0) return -1;
      if (matches(s, key, h)) return s.value;
    }
  }

  size_t size() const { return n_; }
  size_t arena_bytes() const { return arena_.size(); }
  void clear() {
    slots_.clear();
    arena_.clear();
    mask_ = n_ = 0;
  }

 private:
  struct Slot {
    uint32_t offset = 0;
    int32_t len = -1;  // -1: empty
    uint32_t hash = 0;
    int32_t value = 0;
  };
  bool matches(const Slot& s, std::string_view key, uint64_t h) const {
    return s.hash == static_cast<uint32_t>(h) && static_cast<size_t>(s.len) == key.size() &&
           std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0;
  }
  void rehash(size_t cap) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (const Slot& s : old) {
      if (s.len < 0) continue;
      size_t i = s.hash & mask_;
      // The low 32 bits of the hash pick the slot, as in set/get (h & mask_ for cap <= 2^32).
      while (slots_[i].len >= 0) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::string arena_;
  size_t mask_ = 0, n_ = 0;
};

// Maps (left id, right id) pairs to (rank, new id).
class MergeMap {
 public:
  struct Value {
    int32_t rank;
    int32_t new_id;
  };
  void reserve(size_t n) {
    slots_.assign(table_capacity(n), Slot{});
    mask_ = slots_.size() - 1;
  }
  // Inserts or overwrites; reserve() must have made room for every pair.
  void set(int32_t a, int32_t b, Value v) {
    const uint64_t key = pack(a, b);
    for (size_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == kEmpty || slots_[i].key == key) {
        slots_[i] = Slot{key, v};
        return;
      }
    }
  }
  // The merge of (a, b), or nullptr.
  const Value* get(int32_t a, int32_t b) const {
    const uint64_t key = pack(a, b);
    for (size_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return &slots_[i].value;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~0ull;
  struct Slot {
    uint64_t key = kEmpty;
    Value value{};
  };
  static uint64_t pack(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  static uint64_t mix(uint64_t k) {
    k *= 0x9E3779B97F4A7C15ull;
    return k ^ (k >> 29);
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace t2::tokenizer
