// safetensors reader (mmap + header validation) and streaming writer. Format: 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end)}, __metadata__},
// then the data section; offsets are relative to the start of the data section.
#include "io/safetensors.h"

#include <unistd.h>  // fsync

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>  // bad_alloc
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/file.h"
#include "io/jsonl.h"  // parse_json

namespace t2::io {

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the format's own limit is 100 MB

bool parse_dtype(const std::string& s, DType* out) {
  if (s == "BF16") *out = DType::bf16;
  else if (s == "F16") *out = DType::f16;
  else if (s == "F32") *out = DType::f32;
  else return false;
  return true;
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Number of bytes of a tensor, or throws on overflow.
size_t byte_size(const std::string& file, const std::string& name, DType dtype,
                 const std::vector<int64_t>& shape) {
  unsigned __int128 n = tensor::dtype_size(dtype);
  for (int64_t d : shape) {
    n *= static_cast<uint64_t>(d);
    T2_CHECK(n < (static_cast<unsigned __int128>(1) << 62),
             "%s: tensor '%s': shape %s is too large", file.c_str(), name.c_str(),
             shape_to_string(shape).c_str());
  }
  return static_cast<size_t>(n);
}

}  // namespace

int64_t TensorEntry::n_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string TensorEntry::shape_str() const { return shape_to_string(shape); }

const char* safetensors_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::bf16: return "BF16";
    case DType::f16: return "F16";
    case DType::f32: return "F32";
  }
  return "?";
}

SafetensorsFile::SafetensorsFile(const std::string& path)
    : path_(path), map_(path, "safetensors file") {
  const size_t map_size = map_.size();
  T2_CHECK(map_size >= 8,
           "%s: truncated safetensors file: %zu bytes, expected at least 8 (header length)",
           path.c_str(), map_size);
  const uint8_t* bytes = map_.data();
  uint64_t n_header = 0;
  for (int i = 7; i >= 0; --i) n_header = (n_header << 8) | bytes[i];
  T2_CHECK(n_header <= kMaxHeaderBytes && n_header <= map_size - 8,
           "%s: corrupt or truncated safetensors file: header length %llu but the file has "
           "%zu bytes after the length field",
           path.c_str(), static_cast<unsigned long long>(n_header), map_size - 8);
  const char* hdr = reinterpret_cast<const char*>(bytes + 8);
  json j;
  try {
    j = json::parse(hdr, hdr + n_header);
  } catch (const json::exception& e) {
    T2_FAIL("%s: safetensors header is not valid JSON: %s", path.c_str(), e.what());
  }
  T2_CHECK(j.is_object(), "%s: safetensors header must be a JSON object, found %s", path.c_str(),
           j.type_name());
  const size_t data_begin = 8 + n_header;
  const size_t data_size = map_size - data_begin;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      T2_CHECK(v.is_object(), "%s: __metadata__ must be an object", path.c_str());
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (m.value().is_string()) metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    T2_CHECK(v.is_object() && v.contains("dtype") && v.contains("shape") &&
                 v.contains("data_offsets"),
             "%s: tensor '%s': header entry must have dtype, shape and data_offsets",
             path.c_str(), name.c_str());
    TensorEntry t;
    t.name = name;
    t.file = path;
    T2_CHECK(v["dtype"].is_string(), "%s: tensor '%s': dtype must be a string", path.c_str(),
             name.c_str());
    const std::string dt = v["dtype"].get<std::string>();
    T2_CHECK(parse_dtype(dt, &t.dtype),
             "%s: tensor '%s': unsupported dtype %s (supported: BF16, F16, F32)", path.c_str(),
             name.c_str(), dt.c_str());
    T2_CHECK(v["shape"].is_array(), "%s: tensor '%s': shape must be an array", path.c_str(),
             name.c_str());
    for (const auto& d : v["shape"]) {
      T2_CHECK(d.is_number_integer() && d.get<int64_t>() >= 0,
               "%s: tensor '%s': shape entries must be non-negative integers, found %s",
               path.c_str(), name.c_str(), d.dump().c_str());
      t.shape.push_back(d.get<int64_t>());
    }
    const json& off = v["data_offsets"];
    T2_CHECK(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() &&
                 off[1].is_number_unsigned(),
             "%s: tensor '%s': data_offsets must be two non-negative integers, found %s",
             path.c_str(), name.c_str(), off.dump().c_str());
    const uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    T2_CHECK(b <= e && e <= data_size,
             "%s: tensor '%s': data_offsets [%llu, %llu) out of range: the data section has %zu "
             "bytes (file truncated or header corrupt)",
             path.c_str(), name.c_str(), static_cast<unsigned long long>(b),
             static_cast<unsigned long long>(e), data_size);
    const size_t expect = byte_size(path, name, t.dtype, t.shape);
    T2_CHECK(e - b == expect,
             "%s: tensor '%s': dtype %s with shape %s needs %zu bytes but data_offsets span %llu",
             path.c_str(), name.c_str(), dt.c_str(), t.shape_str().c_str(), expect,
             static_cast<unsigned long long>(e - b));
    t.data = bytes + data_begin + b;
    t.n_bytes = expect;
    tensors_.push_back(std::move(t));
  }
  // Overlap check on the sorted spans (empty tensors overlap nothing).
  std::vector<const TensorEntry*> sorted;
  for (const auto& t : tensors_) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](const TensorEntry* a, const TensorEntry* b) {
    return a->data < b->data;
  });
  const TensorEntry* prev = nullptr;
  for (const TensorEntry* t : sorted) {
    if (t->n_bytes == 0) continue;
    if (prev) {
      const auto* prev_end = static_cast<const char*>(prev->data) + prev->n_bytes;
      T2_CHECK(static_cast<const char*>(t->data) >= prev_end,
               "%s: tensors '%s' and '%s' overlap in the data section (corrupt header)",
               path.c_str(), prev->name.c_str(), t->name.c_str());
    }
    prev = t;
  }
  for (size_t i = 0; i < tensors_.size(); ++i) index_[tensors_[i].name] = i;
}

const TensorEntry* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

SafetensorsDir::SafetensorsDir(const std::string& dir) : dir_(dir) {
  T2_CHECK(fs::is_directory(dir), "model directory %s does not exist or is not a directory",
           dir.c_str());
  const std::string index_path = (fs::path(dir) / "model.safetensors.index.json").string();
  std::vector<std::string> shard_names;
  std::map<std::string, std::string> weight_map;
  if (file_exists(index_path)) {
    const json j = parse_json(read_file(index_path), index_path);
    T2_CHECK(j.is_object() && j.contains("weight_map") && j["weight_map"].is_object(),
             "%s: expected an object with a \"weight_map\" object", index_path.c_str());
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      T2_CHECK(it.value().is_string(), "%s: weight_map[\"%s\"] must be a file name",
               index_path.c_str(), it.key().c_str());
      const std::string f = it.value().get<std::string>();
      T2_CHECK(f.find('/') == std::string::npos, "%s: weight_map[\"%s\"] = \"%s\" must be a plain "
               "file name inside the model directory", index_path.c_str(), it.key().c_str(),
               f.c_str());
      weight_map[it.key()] = f;
      if (std::find(shard_names.begin(), shard_names.end(), f) == shard_names.end())
        shard_names.push_back(f);
    }
    std::sort(shard_names.begin(), shard_names.end());
  } else if (file_exists((fs::path(dir) / "model.safetensors").string())) {
    shard_names.push_back("model.safetensors");
  } else {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".safetensors") shard_names.push_back(e.path().filename());
    }
    T2_CHECK(shard_names.size() == 1,
             "%s: expected model.safetensors, model.safetensors.index.json or exactly one "
             "*.safetensors file, found %zu .safetensors files",
             dir.c_str(), shard_names.size());
  }
  for (const auto& s : shard_names) {
    const std::string p = (fs::path(dir) / s).string();
    T2_CHECK(file_exists(p), "%s lists shard %s, which does not exist", index_path.c_str(),
             p.c_str());
    files_.push_back(std::make_unique<SafetensorsFile>(p));
    for (const auto& t : files_.back()->tensors()) {
      auto [it, inserted] = by_name_.emplace(t.name, &t);
      T2_CHECK(inserted, "tensor '%s' appears in both %s and %s", t.name.c_str(),
               it->second->file.c_str(), t.file.c_str());
    }
  }
  for (const auto& [name, file] : weight_map) {
    auto it = by_name_.find(name);
    T2_CHECK(it != by_name_.end(), "%s maps tensor '%s' to %s, but that file does not contain it",
             index_path.c_str(), name.c_str(), file.c_str());
    T2_CHECK(fs::path(it->second->file).filename() == file,
             "%s maps tensor '%s' to %s, but it is in %s", index_path.c_str(), name.c_str(),
             file.c_str(), it->second->file.c_str());
  }
}

const TensorEntry* SafetensorsDir::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const TensorEntry& SafetensorsDir::get(const std::string& name) const {
  const TensorEntry* t = find(name);
  T2_CHECK(t != nullptr, "%s: tensor '%s' is missing from the checkpoint", dir_.c_str(),
           name.c_str());
  return *t;
}

std::vector<std::string> SafetensorsDir::names() const {
  std::vector<std::string> out;
  for (const auto& [n, t] : by_name_) out.push_back(n);
  return out;
}

size_t SafetensorsDir::total_bytes() const {
  size_t n = 0;
  for (const auto& [name, t] : by_name_) n += t->n_bytes;
  return n;
}

void SafetensorsWriter::add(const std::string& name, DType dtype, std::vector<int64_t> shape,
                            Fill fill) {
  T2_CHECK(!name.empty() && name != "__metadata__", "safetensors writer: bad tensor name '%s'",
           name.c_str());
  for (const auto& p : pending_)
    T2_CHECK(p.name != name, "safetensors writer: tensor '%s' added twice", name.c_str());
  const size_t n = byte_size("safetensors writer", name, dtype, shape);
  pending_.push_back({name, dtype, std::move(shape), n, std::move(fill)});
}

void SafetensorsWriter::add_bytes(const std::string& name, DType dtype, std::vector<int64_t> shape,
                                  const void* data, size_t n_bytes) {
  const size_t expect = byte_size("safetensors writer", name, dtype, shape);
  T2_CHECK(expect == n_bytes, "safetensors writer: tensor '%s' %s %s needs %zu bytes, got %zu",
           name.c_str(), safetensors_dtype_name(dtype), shape_to_string(shape).c_str(), expect,
           n_bytes);
  add(name, dtype, std::move(shape),
      [data](void* dst, size_t n) { std::memcpy(dst, data, n); });
}

void SafetensorsWriter::write(const std::string& path) const {
  json header = json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  size_t offset = 0;
  for (const auto& p : pending_) {
    header[p.name] = {{"dtype", safetensors_dtype_name(p.dtype)},
                      {"shape", p.shape},
                      {"data_offsets", {offset, offset + p.n_bytes}}};
    offset += p.n_bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data section aligned to 8 bytes
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  T2_CHECK(f != nullptr, "cannot create %s: %s", tmp.c_str(), std::strerror(errno));
  bool ok = true;
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((text.size() >> (8 * i)) & 0xff);
  ok = ok && std::fwrite(len, 1, 8, f) == 8;
  ok = ok && std::fwrite(text.data(), 1, text.size(), f) == text.size();
  std::vector<unsigned char> buf;
  try {  // no temporary left behind, whatever fails (a fill, memory for a tensor)
    for (const auto& p : pending_) {
      if (!ok) break;
      try {
        buf.assign(p.n_bytes, 0);
      } catch (const std::bad_alloc&) {
        T2_FAIL("cannot write %s: no memory for tensor %s (%zu bytes)", path.c_str(),
                p.name.c_str(), p.n_bytes);
      }
      if (p.n_bytes) p.fill(buf.data(), p.n_bytes);
      ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
    }
  } catch (...) {
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  ok = (std::fflush(f) == 0) && ok;
  ok = (::fsync(::fileno(f)) == 0) && ok;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    T2_FAIL("cannot write %s: %s", path.c_str(), std::strerror(err));
  }
}

}  // namespace t2::io
