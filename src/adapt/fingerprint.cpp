// FNV-1a fingerprints of files and checkpoint folders; see fingerprint.h.
#include "adapt/fingerprint.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

#include "base/error.h"

namespace t2::adapt {

namespace {

struct Fnv {
  uint64_t h = 1469598103934665603ull;
  void add(const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
  }
  void add(const std::string& s) { add(s.data(), s.size()); }
  std::string hex() const { return t2::format("%016llx", static_cast<unsigned long long>(h)); }
};

void add_file(Fnv& f, const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  T2_CHECK(in, "cannot read %s for its fingerprint", path.c_str());
  std::vector<char> buf(1 << 16);
  size_t total = 0;
  while (in && total < max_bytes) {
    in.read(buf.data(), static_cast<std::streamsize>(std::min(buf.size(), max_bytes - total)));
    const size_t got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    f.add(buf.data(), got);
    total += got;
  }
}

}  // namespace

std::string file_fingerprint(const std::string& path) {
  Fnv f;
  add_file(f, path, SIZE_MAX);
  return f.hex();
}

std::string checkpoint_fingerprint(const std::string& dir) {
  namespace fs = std::filesystem;
  Fnv f;
  if (fs::is_regular_file(dir)) {
    // A GGUF file: its name, size and first 64 MiB (header, metadata and tensor table).
    f.add(fs::path(dir).filename().string());
    f.add(std::to_string(fs::file_size(dir)));
    add_file(f, dir, 64ull << 20);
    return f.hex();
  }
  add_file(f, (fs::path(dir) / "config.json").string(), SIZE_MAX);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".safetensors") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& p : files) {
    f.add(p.filename().string());
    f.add(std::to_string(fs::file_size(p)));
    // The header: 8-byte little-endian length, then that many bytes of JSON (names, shapes, offsets).
    std::ifstream in(p, std::ios::binary);
    unsigned char len8[8] = {};
    in.read(reinterpret_cast<char*>(len8), 8);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | len8[i];
    add_file(f, p.string(), 8 + std::min<uint64_t>(n, 100ull << 20));
  }
  return f.hex();
}

}  // namespace t2::adapt
