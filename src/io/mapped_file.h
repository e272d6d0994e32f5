// A read-only memory mapping of a whole file (RAII): what the checkpoint readers parse. Opening
// fails with t2::Error naming the path; the mapping lives until the object is destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace t2::io {

class MappedFile {
 public:
  // what names the kind of file in messages ("GGUF file"). Refuses directories and other
  // non-regular files.
  MappedFile(const std::string& path, const char* what);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return static_cast<const uint8_t*>(map_); }
  size_t size() const { return size_; }

 private:
  void* map_ = nullptr;
  size_t size_ = 0;
};

}  // namespace t2::io
