// DeviceBuffer: owning, move-only device memory (cudaMalloc / cudaFree) with typed views and
// explicit host↔device copies, so that every crossing of PCIe is visible at the call site.
// Allocation checks free device memory first and names what did not fit. Growth (reserve) keeps
// no contents: callers that need them copy explicitly. Not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include <cuda_runtime.h>

namespace t2::cuda {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  // bytes of device memory; `what` names the buffer in an out-of-memory error.
  explicit DeviceBuffer(size_t bytes, const char* what = "buffer");
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* get() const { return ptr_; }
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

  // Makes the buffer at least `bytes` large (contents are lost when it grows).
  void reserve(size_t bytes, const char* what = "buffer");
  void release();

  // Synchronous copies of `bytes` (default: the whole buffer) at byte offset 0.
  void upload(const void* host, size_t bytes);
  void download(void* host, size_t bytes) const;

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// Throws t2::Error, naming `what` and the sizes, when `bytes` exceed the device's free memory.
void check_fits(size_t bytes, const char* what);

}  // namespace t2::cuda
