// Binary messages in host byte order (little-endian on every machine t2 runs on): put_bytes appends
// a trivially copyable value, put_string a u32 length and the bytes, put_vector a u64 count and the
// elements; ByteReader takes them back in the same order and throws t2::Error naming `what` and the
// offset when the bytes run out. Used for the messages between ranks (work queue, decomposition)
// and for the report journal's records.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/error.h"

namespace t2 {

template <class T>
void put_bytes(std::string& out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

inline void put_string(std::string& out, std::string_view s) {
  T2_CHECK(s.size() <= 0xffffffffu, "string of %zu bytes is too long for a message", s.size());
  put_bytes<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out += s;
}

template <class T>
void put_vector(std::string& out, const std::vector<T>& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  put_bytes<uint64_t>(out, v.size());
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

class ByteReader {
 public:
  ByteReader(std::string_view bytes, const char* what) : b_(bytes), what_(what) {}

  template <class T>
  T get() {
    T v;
    take(&v, sizeof v);
    return v;
  }
  std::string get_string() {
    const uint32_t n = get<uint32_t>();
    need(n);
    std::string s(b_.substr(off_, n));
    off_ += n;
    return s;
  }
  template <class T>
  std::vector<T> get_vector() {
    const uint64_t n = get<uint64_t>();
    if (n > (b_.size() - off_) / sizeof(T)) need(SIZE_MAX);  // more elements than bytes left
    std::vector<T> v(n);
    take(v.data(), n * sizeof(T));
    return v;
  }
  // Every byte not read yet (the reader is then done).
  std::string rest() {
    std::string s(b_.substr(off_));
    off_ = b_.size();
    return s;
  }
  bool done() const { return off_ == b_.size(); }
  size_t offset() const { return off_; }

 private:
  void need(size_t n) const {
    T2_CHECK(n <= b_.size() - off_, "%s: truncated at byte %zu of %zu (needed %zu more bytes)",
             what_, off_, b_.size(), n);
  }
  void take(void* p, size_t n) {
    need(n);
    if (n > 0) std::memcpy(p, b_.data() + off_, n);
    off_ += n;
  }

  std::string_view b_;
  const char* what_;
  size_t off_ = 0;
};

}  // namespace t2
