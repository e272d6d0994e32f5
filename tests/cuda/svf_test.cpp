// SVF on the device: the dense composition W' = U · diag(σ ⊙ z · c) · Vᵀ against svf::compose_dense,
// and the factored path U · (e_row ⊙ (Vᵀ x)) with a different scaling per row against the dense
// W' of each row's scaling — both in f32 (tight) and in bf16 factors (bf16 rounding).
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include "cuda/blas.h"
#include "device_test.h"
#include "svf/compose.h"
#include "svf/svd.h"
#include "tensor/ops.h"

namespace t2::cuda {
namespace {

using namespace t2::cuda::test;
using tensor::DType;

// A random thin "SVD" (orthogonality does not matter for the products).
svf::Svd random_svd(int64_t n_out, int64_t n_in, uint64_t seed) {
  svf::Svd s;
  s.n_out = n_out;
  s.n_in = n_in;
  s.r = std::min(n_out, n_in);
  s.u = random_vec(n_out * s.r, seed, 0.2f);
  s.v = random_vec(n_in * s.r, seed + 1, 0.2f);
  s.s = random_vec(s.r, seed + 2);
  for (auto& x : s.s) x = std::abs(x) + 0.1f;
  return s;
}

std::vector<float> transpose(const std::vector<float>& a, int64_t rows, int64_t cols) {
  std::vector<float> t(a.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) t[j * rows + i] = a[i * cols + j];
  return t;
}

TEST(CudaSvf, DenseCompositionMatchesTheCpu) {
  T2_REQUIRE_DEVICE();
  const int64_t m = 48, k = 80;
  const svf::Svd s = random_svd(m, k, 1);
  auto z = random_vec(s.r, 9);
  for (auto& x : z) x = std::abs(x);
  std::vector<float> want(m * k);
  svf::compose_dense(s, z, want, "test.weight");
  const auto e = svf::effective_singular_values(s.s, z, "test.weight");
  auto du = to_device(s.u), de = to_device(e), dvt = to_device(transpose(s.v, k, s.r));
  DeviceBuffer dw(m * k * sizeof(float));
  Blas blas(nullptr);
  blas.compose_dense(du.as<float>(), de.as<float>(), dvt.as<float>(), dw.get(), DType::f32, m, k, s.r);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_LT(rel_error(to_host<float>(dw, m * k), want), 1e-5);
}

TEST(CudaSvf, FactoredPathPerRowMatchesDenseCompositions) {
  T2_REQUIRE_DEVICE();
  const int64_t m = 40, k = 56, n = 6;
  const svf::Svd s = random_svd(m, k, 2);
  const int64_t r = s.r;
  std::vector<std::vector<float>> e(2);
  std::vector<float> scales;
  std::vector<std::vector<float>> w(2, std::vector<float>(m * k));
  for (int j = 0; j < 2; ++j) {
    auto z = random_vec(r, 20 + j);
    for (auto& x : z) x = std::abs(x);
    e[j] = svf::effective_singular_values(s.s, z, "test.weight");
    svf::compose_dense(s, z, w[j], "test.weight");
    scales.insert(scales.end(), e[j].begin(), e[j].end());
  }
  const std::vector<int32_t> row_scale = {0, 1, 1, 0, 1, 0};
  const auto x = random_vec(n * k, 30);
  std::vector<float> want(n * m);
  for (int64_t i = 0; i < n; ++i)
    tensor::linear(x.data() + i * k, w[row_scale[i]].data(), DType::f32, want.data() + i * m, 1, m, k);
  auto dx = to_device(x), du = to_device(s.u), dvt = to_device(transpose(s.v, k, r));
  auto dsc = to_device(scales);
  auto drs = to_device(row_scale);
  DeviceBuffer dy(n * m * sizeof(float));
  Blas blas(nullptr);
  blas.factored(dx.as<float>(), du.get(), dvt.get(), DType::f32, dsc.as<float>(),
                drs.as<int32_t>(), dy.as<float>(), n, m, k, r);
  EXPECT_LT(rel_error(to_host<float>(dy, n * m), want), 1e-5);
  // bf16 factors: within two bf16 roundings of the f32 result.
  std::vector<uint16_t> ub(s.u.size()), vb(s.v.size());
  tensor::convert_from_f32(s.u.data(), DType::bf16, ub.data(), ub.size());
  const auto vt = transpose(s.v, k, r);
  tensor::convert_from_f32(vt.data(), DType::bf16, vb.data(), vb.size());
  auto dub = to_device(ub), dvb = to_device(vb);
  blas.factored(dx.as<float>(), dub.get(), dvb.get(), DType::bf16, dsc.as<float>(),
                drs.as<int32_t>(), dy.as<float>(), n, m, k, r);
  EXPECT_LT(rel_error(to_host<float>(dy, n * m), want), 3.0 / 128);
}

}  // namespace
}  // namespace t2::cuda
