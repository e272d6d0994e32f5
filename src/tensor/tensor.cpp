// Tensor view bookkeeping and the aligned owning Storage.
#include "tensor/tensor.h"

#include <cstdlib>  // std::aligned_alloc, std::free
#include <cstring>  // std::memset, std::memcpy

#include "base/error.h"

namespace t2::tensor {

namespace {

void check_shape(const int64_t* shape, int rank) {
  T2_CHECK(rank >= 0 && rank <= kMaxRank, "tensor: rank %d out of range 0..%d", rank, kMaxRank);
  for (int i = 0; i < rank; ++i)
    T2_CHECK(shape[i] >= 0, "tensor: dimension %d is %lld; dimensions must be >= 0", i,
             static_cast<long long>(shape[i]));
}

}  // namespace

Tensor::Tensor(void* data, DType dtype, std::initializer_list<int64_t> shape, Device device)
    : Tensor(data, dtype, shape.begin(), static_cast<int>(shape.size()), device) {}

Tensor::Tensor(void* data, DType dtype, const int64_t* shape, int rank, Device device)
    : data_(data), dtype_(dtype), device_(device), rank_(rank) {
  check_shape(shape, rank);
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; --i) {
    shape_[i] = shape[i];
    strides_[i] = s;
    s *= shape[i];
  }
}

Tensor Tensor::strided(void* data, DType dtype, const int64_t* shape, const int64_t* strides,
                       int rank, Device device) {
  Tensor t(data, dtype, shape, rank, device);
  for (int i = 0; i < rank; ++i) t.strides_[i] = strides[i];
  return t;
}

template <>
float* Tensor::data_as<float>() const {
  T2_CHECK(dtype_ == DType::f32, "tensor %s: expected f32 data, found %s", describe().c_str(),
           dtype_name(dtype_));
  return static_cast<float*>(data_);
}

template <>
uint16_t* Tensor::data_as<uint16_t>() const {
  T2_CHECK(dtype_ == DType::bf16 || dtype_ == DType::f16,
           "tensor %s: expected 16-bit (bf16/f16) data, found %s", describe().c_str(),
           dtype_name(dtype_));
  return static_cast<uint16_t*>(data_);
}

int64_t Tensor::dim(int i) const {
  if (i < 0) i += rank_;
  T2_CHECK(i >= 0 && i < rank_, "tensor %s: no dimension %d", describe().c_str(), i);
  return shape_[i];
}

int64_t Tensor::stride(int i) const {
  if (i < 0) i += rank_;
  T2_CHECK(i >= 0 && i < rank_, "tensor %s: no dimension %d", describe().c_str(), i);
  return strides_[i];
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= shape_[i];
  return n;
}

bool Tensor::is_contiguous() const {
  int64_t s = 1;
  for (int i = rank_ - 1; i >= 0; --i) {
    if (shape_[i] != 1 && strides_[i] != s) return false;
    s *= shape_[i];
  }
  return true;
}

std::string Tensor::describe() const {
  std::string out = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i) out += ", ";
    out += std::to_string(shape_[i]);
  }
  out += "] ";
  out += dtype_name(dtype_);
  return out;
}

Tensor Tensor::index(int64_t i) const {
  T2_CHECK(rank_ >= 1, "tensor %s: index() needs rank >= 1", describe().c_str());
  T2_CHECK(i >= 0 && i < shape_[0], "tensor %s: index %lld out of range", describe().c_str(),
           static_cast<long long>(i));
  Tensor t;
  t.data_ = static_cast<char*>(data_) + i * strides_[0] * static_cast<int64_t>(dtype_size(dtype_));
  t.dtype_ = dtype_;
  t.device_ = device_;
  t.rank_ = rank_ - 1;
  for (int d = 1; d < rank_; ++d) {
    t.shape_[d - 1] = shape_[d];
    t.strides_[d - 1] = strides_[d];
  }
  return t;
}

Tensor Tensor::narrow(int d, int64_t start, int64_t length) const {
  if (d < 0) d += rank_;
  T2_CHECK(d >= 0 && d < rank_, "tensor %s: no dimension %d", describe().c_str(), d);
  T2_CHECK(start >= 0 && length >= 0 && start + length <= shape_[d],
           "tensor %s: narrow(%d, %lld, %lld) out of range", describe().c_str(), d,
           static_cast<long long>(start), static_cast<long long>(length));
  Tensor t = *this;
  t.data_ = static_cast<char*>(data_) + start * strides_[d] * static_cast<int64_t>(dtype_size(dtype_));
  t.shape_[d] = length;
  return t;
}

Tensor Tensor::reshape(std::initializer_list<int64_t> shape) const {
  T2_CHECK(is_contiguous(), "tensor %s: reshape needs a contiguous view", describe().c_str());
  Tensor t(data_, dtype_, shape, device_);
  T2_CHECK(t.numel() == numel(), "tensor %s: cannot reshape to %s (element counts differ)",
           describe().c_str(), t.describe().c_str());
  return t;
}

Storage::Storage(DType dtype, std::initializer_list<int64_t> shape) {
  allocate(dtype, shape.begin(), static_cast<int>(shape.size()));
}

Storage::Storage(DType dtype, const int64_t* shape, int rank) { allocate(dtype, shape, rank); }

void Storage::allocate(DType dtype, const int64_t* shape, int rank) {
  Tensor probe(nullptr, dtype, shape, rank);
  size_t bytes = probe.nbytes();
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  buffer_ = std::aligned_alloc(64, rounded);
  T2_CHECK(buffer_ != nullptr, "tensor: out of memory allocating %zu bytes for %s", bytes,
           probe.describe().c_str());
  std::memset(buffer_, 0, rounded);
  view_ = Tensor(buffer_, dtype, shape, rank);
}

Storage::~Storage() { std::free(buffer_); }

Storage::Storage(Storage&& other) noexcept : buffer_(other.buffer_), view_(other.view_) {
  other.buffer_ = nullptr;
  other.view_ = Tensor();
}

Storage& Storage::operator=(Storage&& other) noexcept {
  if (this != &other) {
    std::free(buffer_);
    buffer_ = other.buffer_;
    view_ = other.view_;
    other.buffer_ = nullptr;
    other.view_ = Tensor();
  }
  return *this;
}

Storage Storage::clone() const {
  if (!buffer_) return Storage();
  int64_t shape[kMaxRank];
  for (int i = 0; i < view_.rank(); ++i) shape[i] = view_.dim(i);
  Storage copy(view_.dtype(), shape, view_.rank());
  std::memcpy(copy.buffer_, buffer_, nbytes());
  return copy;
}

}  // namespace t2::tensor
