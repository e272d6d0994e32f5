// Tensor: a small non-owning view (dtype, device, shape, row-major strides, pointer) and Storage,
// the owning, 64-byte aligned buffer a view can borrow from. Views never own or free memory; a
// Storage must outlive every view taken from it. Ops in ops.h take raw pointers; these types are
// for code that wants shapes carried with the data (model weights, caches, fixtures).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "tensor/dtype.h"

namespace t2::tensor {

enum class Device : uint8_t { cpu, cuda };

inline constexpr int kMaxRank = 6;

class Tensor {
 public:
  Tensor() = default;
  // Contiguous row-major view of `data` with the given shape.
  Tensor(void* data, DType dtype, std::initializer_list<int64_t> shape, Device device = Device::cpu);
  Tensor(void* data, DType dtype, const int64_t* shape, int rank, Device device = Device::cpu);
  // Strided view; strides are in elements, not bytes.
  static Tensor strided(void* data, DType dtype, const int64_t* shape, const int64_t* strides,
                        int rank, Device device = Device::cpu);

  void* data() const { return data_; }
  // Typed pointer; throws if T does not match the dtype (uint16_t serves bf16 and f16).
  template <typename T>
  T* data_as() const;
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  int rank() const { return rank_; }
  int64_t dim(int i) const;     // negative i counts from the end
  int64_t stride(int i) const;  // in elements
  int64_t numel() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  bool empty() const { return data_ == nullptr; }
  bool is_contiguous() const;
  // "[2, 3, 4] bf16"
  std::string describe() const;

  // Sub-views. index(i) drops the first dimension; narrow keeps `length` entries of dimension d
  // starting at `start`; reshape needs a contiguous view with the same element count.
  Tensor index(int64_t i) const;
  Tensor narrow(int d, int64_t start, int64_t length) const;
  Tensor reshape(std::initializer_list<int64_t> shape) const;

 private:
  void* data_ = nullptr;
  DType dtype_ = DType::f32;
  Device device_ = Device::cpu;
  int rank_ = 0;
  std::array<int64_t, kMaxRank> shape_{};
  std::array<int64_t, kMaxRank> strides_{};
};

// Owning CPU buffer, 64-byte aligned, zero-initialised. Move-only: copying a weight-sized buffer
// must be explicit (clone()).
class Storage {
 public:
  Storage() = default;
  Storage(DType dtype, std::initializer_list<int64_t> shape);
  Storage(DType dtype, const int64_t* shape, int rank);
  ~Storage();
  Storage(Storage&& other) noexcept;
  Storage& operator=(Storage&& other) noexcept;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  Storage clone() const;  // deep copy (cost: one allocation + memcpy of nbytes)
  Tensor view() const { return view_; }
  void* data() const { return view_.data(); }
  template <typename T>
  T* data_as() const { return view_.data_as<T>(); }
  size_t nbytes() const { return view_.nbytes(); }

 private:
  void allocate(DType dtype, const int64_t* shape, int rank);
  void* buffer_ = nullptr;
  Tensor view_;
};

template <>
float* Tensor::data_as<float>() const;
template <>
uint16_t* Tensor::data_as<uint16_t>() const;

}  // namespace t2::tensor
