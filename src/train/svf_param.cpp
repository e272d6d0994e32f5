// SVD, scaling, its chain rule and composition for the trainer's SVF parameters.
#include "train/svf_param.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace t2::train {

SvfMatrix svd_matrix(const std::string& name, const float* w, int64_t n_out, int64_t n_in) {
  SvfMatrix m;
  m.name = name;
  m.n_out = n_out;
  m.n_in = n_in;
  m.rank = std::min(n_out, n_in);
  const int64_t r = m.rank;
  std::vector<double> a(w, w + n_out * n_in);  // [n_out, n_in], destroyed by LAPACK
  std::vector<double> s(r), u(n_out * r), vt(r * n_in);
  const lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', n_out, n_in, a.data(), n_in,
                                         s.data(), u.data(), r, vt.data(), n_in);
  T2_CHECK(info == 0, "SVD of %s [%lld, %lld] failed (LAPACK dgesdd info %d)", name.c_str(),
           static_cast<long long>(n_out), static_cast<long long>(n_in), static_cast<int>(info));
  m.u.assign(u.begin(), u.end());
  m.sigma.assign(s.begin(), s.end());
  m.v.resize(static_cast<size_t>(n_in * r));
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < n_in; ++j) m.v[j * r + i] = static_cast<float>(vt[i * n_in + j]);
  return m;
}

namespace {
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
}  // namespace

std::vector<float> svf_scale(const SvfMatrix& m, const float* p, float max_mult) {
  double sum_sigma = 0, sum_sz = 0;
  std::vector<double> z(m.rank);
  for (int64_t i = 0; i < m.rank; ++i) {
    z[i] = sigmoid(p[i]) * max_mult;
    sum_sigma += m.sigma[i];
    sum_sz += m.sigma[i] * z[i];
  }
  T2_CHECK(sum_sz != 0.0, "SVF scaling of %s: sum of sigma * z is 0, so the mass-preserving factor "
           "c = sum(sigma) / sum(sigma * z) is undefined", m.name.c_str());
  const double c = sum_sigma / sum_sz;
  std::vector<float> s(m.rank);
  for (int64_t i = 0; i < m.rank; ++i) s[i] = static_cast<float>(m.sigma[i] * z[i] * c);
  return s;
}

void svf_scale_backward(const SvfMatrix& m, const float* p, float max_mult, const double* ds,
                        double* dp) {
  // s_i = σ_i z_i c, c = Σσ / T, T = Σ σ_j z_j:
  // ∂L/∂z_k = σ_k c ds_k − (c σ_k / T) Σ_i ds_i σ_i z_i;  ∂z_k/∂p_k = max_mult · σ'(p_k).
  double sum_sigma = 0, t = 0, dot = 0;
  std::vector<double> z(m.rank);
  for (int64_t i = 0; i < m.rank; ++i) {
    z[i] = sigmoid(p[i]) * max_mult;
    sum_sigma += m.sigma[i];
    t += m.sigma[i] * z[i];
  }
  T2_CHECK(t != 0.0, "SVF scaling of %s: sum of sigma * z is 0", m.name.c_str());
  const double c = sum_sigma / t;
  for (int64_t i = 0; i < m.rank; ++i) dot += ds[i] * m.sigma[i] * z[i];
  for (int64_t k = 0; k < m.rank; ++k) {
    const double dz = m.sigma[k] * c * ds[k] - c * m.sigma[k] / t * dot;
    const double sg = sigmoid(p[k]);
    dp[k] = dz * max_mult * sg * (1.0 - sg);
  }
}

void svf_compose(const SvfMatrix& m, const float* s, float* w) {
  const int64_t r = m.rank;
  std::vector<float> us(m.u);  // U · diag(s)  [n_out, r]
  for (int64_t i = 0; i < m.n_out; ++i)
    for (int64_t j = 0; j < r; ++j) us[i * r + j] *= s[j];
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m.n_out),
              static_cast<int>(m.n_in), static_cast<int>(r), 1.0f, us.data(), static_cast<int>(r),
              m.v.data(), static_cast<int>(r), 0.0f, w, static_cast<int>(m.n_in));
}

void SvfAdapter::set_scale(std::vector<float> scale) {
  T2_CHECK(m != nullptr && static_cast<int64_t>(scale.size()) == m->rank,
           "SVF adapter: scaling of length %zu for a matrix of rank %lld", scale.size(),
           static_cast<long long>(m ? m->rank : 0));
  s = std::move(scale);
  dense.resize(static_cast<size_t>(m->n_out * m->n_in));
  svf_compose(*m, s.data(), dense.data());
  if (grad_s.size() != s.size()) grad_s.assign(s.size(), 0.0);
}

void SvfAdapter::zero_grad() { std::fill(grad_s.begin(), grad_s.end(), 0.0); }

}  // namespace t2::train
