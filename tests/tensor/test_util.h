// Helpers shared by the tensor tests: seeded random buffers, guards for the kernel level and the
// CPU instruction-set level, and normalised error metrics (max |a − b| divided by a scale such as
// the row norm).
#pragma once

#include <cmath>
#include <cstdint>
#include <ostream>
#include <vector>

#include <random>
#include "tensor/dtype.h"
#include "tensor/ops.h"

namespace t2::tensor::testing {

// Sets the kernel level for the lifetime of the guard.
class LevelGuard {
 public:
  explicit LevelGuard(KernelLevel level) : saved_(kernel_level()) { set_kernel_level(level); }
  ~LevelGuard() { set_kernel_level(saved_); }

 private:
  KernelLevel saved_;
};

// Forces a CPU instruction-set level (cpu/isa.h) for the lifetime of the guard.
class IsaGuard {
 public:
  explicit IsaGuard(CpuIsa isa) : saved_(cpu_isa()) { set_cpu_isa(isa); }
  ~IsaGuard() { set_cpu_isa(saved_); }

 private:
  CpuIsa saved_;
};

// Every level, lowest first: the parameter list of the per-level suites (levels above
// cpu_isa_supported() are skipped with a message).
inline constexpr CpuIsa kAllIsas[] = {CpuIsa::generic, CpuIsa::avx2, CpuIsa::avx512,
                                      CpuIsa::avx512bf16, CpuIsa::amx};

inline std::vector<float> random_floats(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

// Weights stored in `dtype` (bytes), built from f32 values.
inline std::vector<uint8_t> to_dtype(const std::vector<float>& v, DType dtype) {
  std::vector<uint8_t> out(v.size() * dtype_size(dtype));
  convert_from_f32(v.data(), dtype, out.data(), v.size());
  return out;
}

inline double max_abs_diff(const float* a, const float* b, size_t n) {
  double m = 0.0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}

}  // namespace t2::tensor::testing

namespace t2::tensor {
// GoogleTest prints a level by name ("avx2") in failure messages.
inline void PrintTo(CpuIsa isa, std::ostream* os) { *os << cpu_isa_name(isa); }
}  // namespace t2::tensor
