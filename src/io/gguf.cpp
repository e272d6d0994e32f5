// GGUF reader: mmap, then one validating pass over header, metadata and tensor infos (format in
// gguf.h). Every read goes through Cursor, which knows how many bytes are left, so a truncated or
// corrupt file ends in a message with the offset and the field being read, never a stray read.
#include "io/gguf.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "base/error.h"
#include "io/mapped_file.h"

namespace t2::io {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr int kMaxArrayDepth = 8;
constexpr uint64_t kMaxTensorName = 64;  // GGML_MAX_NAME, as llama.cpp enforces
constexpr uint32_t kMaxDims = 4;         // GGML_MAX_DIMS

// Bytes of one element of a fixed-size value type, 0 for string/array.
size_t fixed_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::uint8: case GgufValueType::int8: case GgufValueType::bool_: return 1;
    case GgufValueType::uint16: case GgufValueType::int16: return 2;
    case GgufValueType::uint32: case GgufValueType::int32: case GgufValueType::float32: return 4;
    case GgufValueType::uint64: case GgufValueType::int64: case GgufValueType::float64: return 8;
    case GgufValueType::string: case GgufValueType::array: return 0;
  }
  return 0;
}

bool valid_value_type(uint32_t t) { return t <= 12; }

bool is_integer(GgufValueType t) {
  switch (t) {
    case GgufValueType::uint8: case GgufValueType::int8: case GgufValueType::uint16:
    case GgufValueType::int16: case GgufValueType::uint32: case GgufValueType::int32:
    case GgufValueType::uint64: case GgufValueType::int64: return true;
    default: return false;
  }
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // the file is little-endian, as is every target of t2
  return v;
}

// Reads a little-endian integer of type t at p as int64; false when a uint64 does not fit.
bool read_integer(GgufValueType t, const uint8_t* p, int64_t* out) {
  switch (t) {
    case GgufValueType::uint8: *out = load<uint8_t>(p); return true;
    case GgufValueType::int8: *out = load<int8_t>(p); return true;
    case GgufValueType::uint16: *out = load<uint16_t>(p); return true;
    case GgufValueType::int16: *out = load<int16_t>(p); return true;
    case GgufValueType::uint32: *out = load<uint32_t>(p); return true;
    case GgufValueType::int32: *out = load<int32_t>(p); return true;
    case GgufValueType::int64: *out = load<int64_t>(p); return true;
    case GgufValueType::uint64: {
      const uint64_t v = load<uint64_t>(p);
      if (v > static_cast<uint64_t>(INT64_MAX)) return false;
      *out = static_cast<int64_t>(v);
      return true;
    }
    default: return false;
  }
}

// Bounds-checked reading of the header region of the mapping.
class Cursor {
 public:
  Cursor(const std::string& path, const uint8_t* base, size_t size)
      : path_(path), base_(base), size_(size) {}

  uint64_t pos() const { return pos_; }
  size_t left() const { return size_ - pos_; }
  const uint8_t* at(uint64_t p) const { return base_ + p; }

  [[noreturn]] void fail_truncated(size_t need, const char* what) const {
    T2_FAIL("%s: truncated or corrupt GGUF file: %s at offset %llu needs %zu bytes, but the file "
            "has %zu bytes left (file size %zu)", path_.c_str(), what,
            static_cast<unsigned long long>(pos_), need, left(), size_);
  }
  const uint8_t* take(size_t n, const char* what) {
    if (n > left()) fail_truncated(n, what);
    const uint8_t* p = base_ + pos_;
    pos_ += n;
    return p;
  }
  uint32_t u32(const char* what) { return load<uint32_t>(take(4, what)); }
  uint64_t u64(const char* what) { return load<uint64_t>(take(8, what)); }
  std::string_view string(const char* what, uint64_t max_len = UINT64_MAX) {
    const uint64_t start = pos_;
    const uint64_t len = u64(what);
    if (len > max_len) {
      T2_FAIL("%s: %s at offset %llu has length %llu, expected at most %llu", path_.c_str(), what,
              static_cast<unsigned long long>(start), static_cast<unsigned long long>(len),
              static_cast<unsigned long long>(max_len));
    }
    if (len > left()) {
      T2_FAIL("%s: truncated or corrupt GGUF file: %s at offset %llu has length %llu, but only "
              "%zu bytes follow", path_.c_str(), what, static_cast<unsigned long long>(start),
              static_cast<unsigned long long>(len), left());
    }
    return {reinterpret_cast<const char*>(take(len, what)), static_cast<size_t>(len)};
  }
  // Skips one value of type t (validating nested arrays); what names the key for messages.
  void skip_value(GgufValueType t, const std::string& what, int depth) {
    if (t == GgufValueType::string) {
      string(("string value of '" + what + "'").c_str());
      return;
    }
    if (t != GgufValueType::array) {
      take(fixed_size(t), ("value of '" + what + "'").c_str());
      return;
    }
    GgufValueType elem;
    uint64_t count;
    array_header(what, depth, &elem, &count);
    skip_elements(elem, count, what, depth);
  }
  void array_header(const std::string& what, int depth, GgufValueType* elem, uint64_t* count) {
    if (depth >= kMaxArrayDepth) {
      T2_FAIL("%s: metadata '%s' at offset %llu nests arrays deeper than %d levels (corrupt file?)",
              path_.c_str(), what.c_str(), static_cast<unsigned long long>(pos_), kMaxArrayDepth);
    }
    const uint64_t at_type = pos_;
    const uint32_t e = u32(("array element type of '" + what + "'").c_str());
    if (!valid_value_type(e)) {
      T2_FAIL("%s: metadata '%s': unknown array element type %u at offset %llu (expected 0..12)",
              path_.c_str(), what.c_str(), e, static_cast<unsigned long long>(at_type));
    }
    *elem = static_cast<GgufValueType>(e);
    const uint64_t at_count = pos_;
    *count = u64(("array length of '" + what + "'").c_str());
    // Every element takes at least one byte (strings at least eight), so a count beyond the bytes
    // left is corrupt; checked before anything is allocated or looped over.
    const size_t min_size = *elem == GgufValueType::string  ? 8
                            : *elem == GgufValueType::array ? 12
                                                            : fixed_size(*elem);
    if (*count > left() / min_size) {
      T2_FAIL("%s: metadata '%s': array length %llu at offset %llu cannot fit: %zu bytes are left "
              "and each %s element takes at least %zu (corrupt or truncated file)",
              path_.c_str(), what.c_str(), static_cast<unsigned long long>(*count),
              static_cast<unsigned long long>(at_count), left(), gguf_value_type_name(*elem),
              min_size);
    }
  }
  void skip_elements(GgufValueType elem, uint64_t count, const std::string& what, int depth) {
    if (fixed_size(elem) > 0) {
      take(fixed_size(elem) * count, ("array data of '" + what + "'").c_str());
      return;
    }
    for (uint64_t i = 0; i < count; ++i) skip_value(elem, what, depth + 1);
  }

 private:
  const std::string& path_;
  const uint8_t* base_;
  size_t size_;
  uint64_t pos_ = 0;
};

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

const char* gguf_value_type_name(GgufValueType type) {
  switch (type) {
    case GgufValueType::uint8: return "uint8";
    case GgufValueType::int8: return "int8";
    case GgufValueType::uint16: return "uint16";
    case GgufValueType::int16: return "int16";
    case GgufValueType::uint32: return "uint32";
    case GgufValueType::int32: return "int32";
    case GgufValueType::float32: return "float32";
    case GgufValueType::bool_: return "bool";
    case GgufValueType::string: return "string";
    case GgufValueType::array: return "array";
    case GgufValueType::uint64: return "uint64";
    case GgufValueType::int64: return "int64";
    case GgufValueType::float64: return "float64";
  }
  return "?";
}

int64_t GgufTensor::n_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string GgufTensor::shape_str() const { return shape_string(shape); }

GgufFile::GgufFile(const std::string& path)
    : path_(path), map_(std::make_unique<MappedFile>(path, "GGUF file")) {
  map_size_ = map_->size();
  if (map_size_ < 24) {
    T2_FAIL("%s: truncated GGUF file: %zu bytes, expected at least 24 (magic, version, tensor "
            "and metadata counts)", path.c_str(), map_size_);
  }
  {
    const uint8_t* base = map_->data();
    Cursor c(path_, base, map_size_);
    const uint32_t magic = c.u32("magic");
    if (magic != kMagic) {
      T2_FAIL("%s: not a GGUF file: the first bytes are %02x %02x %02x %02x, expected \"GGUF\" "
              "(47 47 55 46)", path.c_str(), base[0], base[1], base[2], base[3]);
    }
    version_ = c.u32("version");
    if (version_ != 2 && version_ != 3) {
      const bool swapped = version_ == 0x02000000u || version_ == 0x03000000u;
      T2_FAIL("%s: GGUF version %u at offset 4 is not supported (expected 2 or 3)%s",
              path.c_str(), version_,
              swapped ? "; this looks like a big-endian GGUF file, which t2 cannot read"
              : version_ == 1 ? "; version 1 files predate 64-bit counts: convert the model "
                                "again with a current llama.cpp"
                              : "");
    }
    const uint64_t n_tensors = c.u64("tensor count");
    const uint64_t n_kv = c.u64("metadata count");
    // Minimum bytes per entry: a key/name length (8) + type (4) + 1 value byte; a tensor info
    // takes 8 + 4 + 4 + 8 at least.
    T2_CHECK(n_kv <= c.left() / 13,
             "%s: metadata count %llu at offset 16 cannot fit in the %zu bytes that follow "
             "(corrupt file)", path.c_str(), static_cast<unsigned long long>(n_kv), c.left());
    T2_CHECK(n_tensors <= c.left() / 24,
             "%s: tensor count %llu at offset 8 cannot fit in the %zu bytes that follow "
             "(corrupt file)", path.c_str(), static_cast<unsigned long long>(n_tensors), c.left());

    kvs_.reserve(static_cast<size_t>(n_kv));
    for (uint64_t i = 0; i < n_kv; ++i) {
      GgufKv kv;
      kv.offset = c.pos();
      kv.key = std::string(c.string("metadata key", 1 << 16));
      T2_CHECK(!kv.key.empty(), "%s: metadata entry %llu at offset %llu has an empty key",
               path.c_str(), static_cast<unsigned long long>(i),
               static_cast<unsigned long long>(kv.offset));
      const uint64_t at_type = c.pos();
      const uint32_t t = c.u32(("value type of '" + kv.key + "'").c_str());
      T2_CHECK(valid_value_type(t),
               "%s: metadata '%s': unknown value type %u at offset %llu (expected 0..12)",
               path.c_str(), kv.key.c_str(), t, static_cast<unsigned long long>(at_type));
      kv.type = static_cast<GgufValueType>(t);
      if (kv.type == GgufValueType::array) {
        c.array_header(kv.key, 0, &kv.elem_type, &kv.count);
        kv.data = c.at(c.pos());
        c.skip_elements(kv.elem_type, kv.count, kv.key, 0);
      } else {
        kv.data = c.at(c.pos());
        c.skip_value(kv.type, kv.key, 0);
      }
      T2_CHECK(kv_index_.emplace(kv.key, kvs_.size()).second,
               "%s: metadata key '%s' appears twice (second at offset %llu)", path.c_str(),
               kv.key.c_str(), static_cast<unsigned long long>(kv.offset));
      kvs_.push_back(std::move(kv));
    }

    if (const GgufKv* a = find_kv("general.alignment")) {
      T2_CHECK(a->type == GgufValueType::uint32,
               "%s: metadata 'general.alignment' has type %s, expected uint32", path.c_str(),
               gguf_value_type_name(a->type));
      alignment_ = load<uint32_t>(a->data);
      T2_CHECK(alignment_ > 0 && (alignment_ & (alignment_ - 1)) == 0,
               "%s: general.alignment is %llu, expected a power of two", path.c_str(),
               static_cast<unsigned long long>(alignment_));
    }

    tensors_.reserve(static_cast<size_t>(n_tensors));
    for (uint64_t i = 0; i < n_tensors; ++i) {
      GgufTensor t;
      const uint64_t at = c.pos();
      t.name = std::string(c.string("tensor name", kMaxTensorName));
      T2_CHECK(!t.name.empty(), "%s: tensor %llu at offset %llu has an empty name", path.c_str(),
               static_cast<unsigned long long>(i), static_cast<unsigned long long>(at));
      const uint64_t at_dims = c.pos();
      const uint32_t n_dims = c.u32(("dimension count of tensor '" + t.name + "'").c_str());
      T2_CHECK(n_dims >= 1 && n_dims <= kMaxDims,
               "%s: tensor '%s': dimension count %u at offset %llu, expected 1..%u", path.c_str(),
               t.name.c_str(), n_dims, static_cast<unsigned long long>(at_dims), kMaxDims);
      unsigned __int128 n_elem = 1;
      for (uint32_t d = 0; d < n_dims; ++d) {
        const uint64_t ne = c.u64(("dimensions of tensor '" + t.name + "'").c_str());
        n_elem *= ne;
        T2_CHECK(ne <= static_cast<uint64_t>(INT64_MAX) &&
                     n_elem < (static_cast<unsigned __int128>(1) << 62),
                 "%s: tensor '%s': dimension %u is %llu, which makes the tensor impossibly "
                 "large (corrupt file)", path.c_str(), t.name.c_str(), d,
                 static_cast<unsigned long long>(ne));
        t.shape.push_back(static_cast<int64_t>(ne));
      }
      const uint64_t at_type = c.pos();
      const uint32_t type_id = c.u32(("type of tensor '" + t.name + "'").c_str());
      const auto info = ggml_type_info(type_id);
      T2_CHECK(info.has_value(), "%s: tensor '%s': unknown tensor type %u at offset %llu (not a "
               "ggml type this reader knows)", path.c_str(), t.name.c_str(), type_id,
               static_cast<unsigned long long>(at_type));
      t.type = info->type;
      T2_CHECK(t.shape[0] % info->block_size == 0,
               "%s: tensor '%s': type %s stores blocks of %lld elements, but its first dimension "
               "is %lld (shape %s)", path.c_str(), t.name.c_str(), info->name,
               static_cast<long long>(info->block_size), static_cast<long long>(t.shape[0]),
               t.shape_str().c_str());
      t.n_bytes = static_cast<size_t>(n_elem / info->block_size * info->type_size);
      const uint64_t at_offset = c.pos();
      t.offset = c.u64(("data offset of tensor '" + t.name + "'").c_str());
      T2_CHECK(t.offset % alignment_ == 0,
               "%s: tensor '%s': data offset %llu (field at offset %llu) is not a multiple of "
               "the alignment %llu", path.c_str(), t.name.c_str(),
               static_cast<unsigned long long>(t.offset), static_cast<unsigned long long>(at_offset),
               static_cast<unsigned long long>(alignment_));
      T2_CHECK(tensor_index_.emplace(t.name, tensors_.size()).second,
               "%s: tensor name '%s' appears twice (second at offset %llu)", path.c_str(),
               t.name.c_str(), static_cast<unsigned long long>(at));
      tensors_.push_back(std::move(t));
    }

    const uint64_t data_begin = (c.pos() + alignment_ - 1) / alignment_ * alignment_;
    const uint64_t data_size = data_begin <= map_size_ ? map_size_ - data_begin : 0;
    for (auto& t : tensors_) {
      T2_CHECK(data_begin <= map_size_ && t.offset <= data_size && t.n_bytes <= data_size - t.offset,
               "%s: tensor '%s' (%s %s, %zu bytes at data offset %llu) runs past the end of the "
               "file: the data section has %llu bytes (truncated download?)", path.c_str(),
               t.name.c_str(), t.type_name(), t.shape_str().c_str(), t.n_bytes,
               static_cast<unsigned long long>(t.offset),
               static_cast<unsigned long long>(data_size));
      t.data = base + data_begin + t.offset;
    }
    std::vector<const GgufTensor*> sorted;
    for (const auto& t : tensors_)
      if (t.n_bytes > 0) sorted.push_back(&t);
    std::sort(sorted.begin(), sorted.end(),
              [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < sorted.size(); ++i) {
      T2_CHECK(sorted[i]->offset >= sorted[i - 1]->offset + sorted[i - 1]->n_bytes,
               "%s: tensors '%s' and '%s' overlap in the data section (corrupt tensor table)",
               path.c_str(), sorted[i - 1]->name.c_str(), sorted[i]->name.c_str());
    }
  }
}

GgufFile::~GgufFile() = default;

const GgufKv* GgufFile::find_kv(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second];
}

const GgufTensor* GgufFile::find(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensor& GgufFile::get(std::string_view name) const {
  const GgufTensor* t = find(name);
  T2_CHECK(t != nullptr, "%s: tensor '%.*s' is missing from the GGUF file", path_.c_str(),
           static_cast<int>(name.size()), name.data());
  return *t;
}

namespace {

[[noreturn]] void wrong_type(const std::string& path, const GgufKv& kv, const char* expected) {
  T2_FAIL("%s: metadata '%s' has type %s%s%s, expected %s", path.c_str(), kv.key.c_str(),
          gguf_value_type_name(kv.type), kv.type == GgufValueType::array ? " of " : "",
          kv.type == GgufValueType::array ? gguf_value_type_name(kv.elem_type) : "", expected);
}

}  // namespace

std::optional<int64_t> GgufFile::find_int(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return std::nullopt;
  if (!is_integer(kv->type)) wrong_type(path_, *kv, "an integer");
  int64_t v = 0;
  T2_CHECK(read_integer(kv->type, kv->data, &v), "%s: metadata '%s' = %llu does not fit int64",
           path_.c_str(), kv->key.c_str(), static_cast<unsigned long long>(load<uint64_t>(kv->data)));
  return v;
}

std::optional<double> GgufFile::find_float(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return std::nullopt;
  if (kv->type == GgufValueType::float32) return load<float>(kv->data);
  if (kv->type == GgufValueType::float64) return load<double>(kv->data);
  wrong_type(path_, *kv, "float32 or float64");
}

std::optional<bool> GgufFile::find_bool(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return std::nullopt;
  if (kv->type != GgufValueType::bool_) wrong_type(path_, *kv, "bool");
  return kv->data[0] != 0;
}

std::optional<std::string> GgufFile::find_string(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return std::nullopt;
  if (kv->type != GgufValueType::string) wrong_type(path_, *kv, "string");
  const uint64_t len = load<uint64_t>(kv->data);
  return std::string(reinterpret_cast<const char*>(kv->data + 8), static_cast<size_t>(len));
}

int64_t GgufFile::require_int(std::string_view key) const {
  auto v = find_int(key);
  T2_CHECK(v.has_value(), "%s: required metadata '%.*s' (an integer) is missing", path_.c_str(),
           static_cast<int>(key.size()), key.data());
  return *v;
}

double GgufFile::require_float(std::string_view key) const {
  auto v = find_float(key);
  T2_CHECK(v.has_value(), "%s: required metadata '%.*s' (a float) is missing", path_.c_str(),
           static_cast<int>(key.size()), key.data());
  return *v;
}

std::string GgufFile::require_string(std::string_view key) const {
  auto v = find_string(key);
  T2_CHECK(v.has_value(), "%s: required metadata '%.*s' (a string) is missing", path_.c_str(),
           static_cast<int>(key.size()), key.data());
  return *v;
}

std::optional<std::vector<std::string_view>> GgufFile::find_string_array(
    std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return std::nullopt;
  if (kv->type != GgufValueType::array || kv->elem_type != GgufValueType::string)
    wrong_type(path_, *kv, "array of string");
  std::vector<std::string_view> out;
  out.reserve(static_cast<size_t>(kv->count));
  const uint8_t* p = kv->data;
  for (uint64_t i = 0; i < kv->count; ++i) {  // bounds were validated at construction
    const uint64_t len = load<uint64_t>(p);
    out.emplace_back(reinterpret_cast<const char*>(p + 8), static_cast<size_t>(len));
    p += 8 + len;
  }
  return out;
}

std::optional<std::vector<int64_t>> GgufFile::find_int_array(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (!kv) return std::nullopt;
  if (kv->type != GgufValueType::array || !is_integer(kv->elem_type))
    wrong_type(path_, *kv, "array of integers");
  std::vector<int64_t> out(static_cast<size_t>(kv->count));
  const size_t es = fixed_size(kv->elem_type);
  for (uint64_t i = 0; i < kv->count; ++i) {
    T2_CHECK(read_integer(kv->elem_type, kv->data + i * es, &out[i]),
             "%s: metadata '%s'[%llu] does not fit int64", path_.c_str(), kv->key.c_str(),
             static_cast<unsigned long long>(i));
  }
  return out;
}

bool is_gguf_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  uint32_t magic = 0;
  const bool ok = ::read(fd, &magic, 4) == 4 && magic == kMagic;
  ::close(fd);
  return ok;
}

}  // namespace t2::io
