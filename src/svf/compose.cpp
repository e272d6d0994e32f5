// Dense and factored composition on top of OpenBLAS sgemm.
#include "svf/compose.h"

#include <cblas.h>

#include <cmath>
#include <cstring>

#include "base/error.h"

namespace t2::svf {

std::vector<float> scaling_from_params(std::span<const float> p, double max_mult) {
  std::vector<float> z(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    z[i] = static_cast<float>(max_mult / (1.0 + std::exp(-static_cast<double>(p[i]))));
  }
  return z;
}

double mass_factor(std::span<const float> s, std::span<const float> z, const std::string& name) {
  T2_CHECK(s.size() == z.size(), "matrix '%s': scaling vector has %zu values, the matrix has %zu "
           "singular values", name.c_str(), z.size(), s.size());
  double total = 0, scaled = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    total += s[k];
    scaled += static_cast<double>(s[k]) * static_cast<double>(z[k]);
  }
  T2_CHECK(std::isfinite(scaled) && scaled > 0,
           "matrix '%s': Σ(σ ⊙ z) = %g, so the mass-preserving factor c = Σσ / Σ(σ ⊙ z) is "
           "undefined (are all mixture weights 0, or is z non-finite?)",
           name.c_str(), scaled);
  return total / scaled;
}

std::vector<float> effective_singular_values(const Svd& svd, std::span<const float> z,
                                             const std::string& name) {
  const double c = mass_factor(svd.s, z, name);
  std::vector<float> e(static_cast<size_t>(svd.r));
  for (int64_t k = 0; k < svd.r; ++k) {
    e[k] = static_cast<float>(static_cast<double>(svd.s[k]) * z[k] * c);
  }
  return e;
}

void compose_dense(const Svd& svd, std::span<const float> z, std::span<float> w,
                   const std::string& name) {
  T2_CHECK(static_cast<int64_t>(w.size()) == svd.n_out * svd.n_in,
           "matrix '%s': output buffer has %zu values, the matrix is [%lld, %lld]", name.c_str(),
           w.size(), static_cast<long long>(svd.n_out), static_cast<long long>(svd.n_in));
  const std::vector<float> e = effective_singular_values(svd, z, name);
  std::vector<float> us(svd.u.size());  // [n_out, r] = U · diag(e)
  const int64_t r = svd.r;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < svd.n_out; ++i)
    for (int64_t k = 0; k < r; ++k) us[i * r + k] = svd.u[i * r + k] * e[k];
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, svd.n_out, svd.n_in, r, 1.0f, us.data(), r,
              svd.v.data(), r, 0.0f, w.data(), svd.n_in);
}

uint16_t float_to_bf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  if (std::isnan(x)) return static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet NaN
  bits += 0x7FFF + ((bits >> 16) & 1);  // round to nearest, ties to even
  return static_cast<uint16_t>(bits >> 16);
}

float bf16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

void compose_dense_bf16(const Svd& svd, std::span<const float> z, std::span<uint16_t> w,
                        const std::string& name) {
  T2_CHECK(static_cast<int64_t>(w.size()) == svd.n_out * svd.n_in,
           "matrix '%s': output buffer has %zu values, the matrix is [%lld, %lld]", name.c_str(),
           w.size(), static_cast<long long>(svd.n_out), static_cast<long long>(svd.n_in));
  std::vector<float> f(w.size());
  compose_dense(svd, z, f, name);
  const int64_t n = static_cast<int64_t>(f.size());
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) w[i] = float_to_bf16(f[i]);
}

void apply_factored(const Svd& svd, std::span<const float> x, std::span<float> y, int64_t n,
                    std::span<const int32_t> row_seq, std::span<const float> seq_scales,
                    const std::string& name) {
  const int64_t r = svd.r;
  T2_CHECK(static_cast<int64_t>(x.size()) == n * svd.n_in &&
               static_cast<int64_t>(y.size()) == n * svd.n_out,
           "matrix '%s': factored apply got x of %zu and y of %zu values for %lld rows of "
           "[%lld → %lld]",
           name.c_str(), x.size(), y.size(), static_cast<long long>(n),
           static_cast<long long>(svd.n_in), static_cast<long long>(svd.n_out));
  T2_CHECK(row_seq.empty() || static_cast<int64_t>(row_seq.size()) == n,
           "matrix '%s': row_seq has %zu entries for %lld rows", name.c_str(), row_seq.size(),
           static_cast<long long>(n));
  T2_CHECK(r > 0 && !seq_scales.empty() && seq_scales.size() % static_cast<size_t>(r) == 0,
           "matrix '%s': per-sequence scales have %zu values, not a multiple of r = %lld",
           name.c_str(), seq_scales.size(), static_cast<long long>(r));
  const int64_t n_seq = static_cast<int64_t>(seq_scales.size()) / r;
  for (int32_t s : row_seq) {
    T2_CHECK(s >= 0 && s < n_seq, "matrix '%s': row refers to sequence %d, only %lld have scales",
             name.c_str(), s, static_cast<long long>(n_seq));
  }
  if (n == 0) return;
  std::vector<float> t(static_cast<size_t>(n * r));  // [n, r] = x · V
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, r, svd.n_in, 1.0f, x.data(), svd.n_in,
              svd.v.data(), r, 0.0f, t.data(), r);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float* e = seq_scales.data() + (row_seq.empty() ? 0 : row_seq[i]) * r;
    float* ti = t.data() + i * r;
    for (int64_t k = 0; k < r; ++k) ti[k] *= e[k];
  }
  // y [n, n_out] = t · Uᵀ
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, svd.n_out, r, 1.0f, t.data(), r,
              svd.u.data(), r, 0.0f, y.data(), svd.n_out);
}

void apply_dense(std::span<const float> w, int64_t n_out, int64_t n_in, std::span<const float> x,
                 std::span<float> y, int64_t n) {
  T2_CHECK(static_cast<int64_t>(w.size()) == n_out * n_in &&
               static_cast<int64_t>(x.size()) == n * n_in &&
               static_cast<int64_t>(y.size()) == n * n_out,
           "apply_dense: sizes W %zu, x %zu, y %zu do not fit [%lld → %lld] × %lld rows", w.size(),
           x.size(), y.size(), static_cast<long long>(n_in), static_cast<long long>(n_out),
           static_cast<long long>(n));
  if (n == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n_out, n_in, 1.0f, x.data(), n_in,
              w.data(), n_in, 0.0f, y.data(), n_out);
}

}  // namespace t2::svf
