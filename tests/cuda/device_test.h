// Shared helpers of the cuda tests: skip without a device, random inputs, device round trips and
// the normalised error bound used against the CPU reference.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/rng.h"
#include "cuda/buffer.h"
#include "cuda/device.h"

namespace t2::cuda::test {

// Skips the calling test when no GPU is visible, with the runtime's reason in the test output.
#define T2_REQUIRE_DEVICE()                                                                     \
  do {                                                                                          \
    if (::t2::cuda::device_count() == 0)                                                        \
      GTEST_SKIP() << "the cuda tests need a GPU; this process sees "                          \
                   << ::t2::cuda::backend_summary()                                             \
                   << " (check the driver and CUDA_VISIBLE_DEVICES)";                           \
    ::t2::cuda::select_rank_device();                                                           \
  } while (0)

inline std::vector<float> random_vec(size_t n, uint64_t seed, float scale = 1.0f) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.normal()) * scale;
  return v;
}

template <typename T>
DeviceBuffer to_device(const std::vector<T>& v) {
  DeviceBuffer b(std::max<size_t>(v.size(), 1) * sizeof(T));
  b.upload(v.data(), v.size() * sizeof(T));
  return b;
}

template <typename T>
std::vector<T> to_host(const DeviceBuffer& b, size_t n) {
  std::vector<T> v(n);
  b.download(v.data(), n * sizeof(T));
  return v;
}

// max |a − b| / max(1, max |b|): errors relative to the reference's scale.
inline double rel_error(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0, scale = 1;
  for (size_t i = 0; i < b.size(); ++i) {
    err = std::max(err, std::abs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::abs(double(b[i])));
  }
  return err / scale;
}

}  // namespace t2::cuda::test
