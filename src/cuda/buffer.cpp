// Owning device memory (see buffer.h).
#include "cuda/buffer.h"

#include "base/error.h"
#include "cuda/check.h"

namespace t2::cuda {

void check_fits(size_t bytes, const char* what) {
  size_t free_b = 0, total_b = 0;
  T2_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  T2_CHECK(bytes <= free_b,
           "device memory: %s needs %.1f MiB but only %.1f MiB of %.1f MiB are free; lower the "
           "batch (--batch-size / --max-batch-tokens) or the context, or shard the model over more "
           "GPUs", what, static_cast<double>(bytes) / 1048576.0, static_cast<double>(free_b) / 1048576.0,
           static_cast<double>(total_b) / 1048576.0);
}

DeviceBuffer::DeviceBuffer(size_t bytes, const char* what) { reserve(bytes, what); }

DeviceBuffer::~DeviceBuffer() { release(); }

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    release();
    ptr_ = std::exchange(o.ptr_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

void DeviceBuffer::reserve(size_t bytes, const char* what) {
  if (bytes <= bytes_) return;
  release();
  if (bytes == 0) return;
  check_fits(bytes, what);
  T2_CUDA_CHECK(cudaMalloc(&ptr_, bytes));
  bytes_ = bytes;
}

void DeviceBuffer::release() {
  if (ptr_) cudaFree(ptr_);  // a failure here cannot be reported from a destructor
  ptr_ = nullptr;
  bytes_ = 0;
}

void DeviceBuffer::upload(const void* host, size_t bytes) {
  T2_CHECK(bytes <= bytes_, "DeviceBuffer::upload: %zu bytes into a %zu-byte buffer", bytes, bytes_);
  if (bytes) T2_CUDA_CHECK(cudaMemcpy(ptr_, host, bytes, cudaMemcpyHostToDevice));
}

void DeviceBuffer::download(void* host, size_t bytes) const {
  T2_CHECK(bytes <= bytes_, "DeviceBuffer::download: %zu bytes from a %zu-byte buffer", bytes, bytes_);
  if (bytes) T2_CUDA_CHECK(cudaMemcpy(host, ptr_, bytes, cudaMemcpyDeviceToHost));
}

}  // namespace t2::cuda
