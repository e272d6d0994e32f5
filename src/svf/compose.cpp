// SVF scaling, mixing and composition arithmetic; see compose.h.
#include "svf/compose.h"

#include <cmath>

#include "base/error.h"
#include "base/hash.h"

namespace t2::svf {

namespace {
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
}  // namespace

std::string ScalingSet::key() const {
  Hasher h;
  h.update(std::string_view("t2 scaling v1"));
  for (const auto& [name, v] : z) {
    h.update(name);
    h.update_i64(static_cast<int64_t>(v.size()));
    h.update(v.data(), v.size() * sizeof(float));
  }
  return h.hex();
}

std::vector<float> scaling_from_params(std::span<const float> p, double max_mult) {
  std::vector<float> z(p.size());
  for (size_t i = 0; i < p.size(); ++i)
    z[i] = static_cast<float>(max_mult * sigmoid(static_cast<double>(p[i])));
  return z;
}

double mass_factor(std::span<const float> sigma, std::span<const float> z,
                   const std::string& name) {
  T2_CHECK(sigma.size() == z.size(), "matrix '%s': scaling vector has %zu values, the matrix has "
           "%zu singular values", name.c_str(), z.size(), sigma.size());
  double total = 0, scaled = 0;
  for (size_t k = 0; k < sigma.size(); ++k) {
    total += sigma[k];
    scaled += static_cast<double>(sigma[k]) * static_cast<double>(z[k]);
  }
  T2_CHECK(std::isfinite(scaled) && scaled > 0,
           "matrix '%s': Σ(σ ⊙ z) = %g, so the mass-preserving factor c = Σσ / Σ(σ ⊙ z) is "
           "undefined (are all mixture weights 0, or is z non-finite?)",
           name.c_str(), scaled);
  return total / scaled;
}

std::vector<float> effective_singular_values(std::span<const float> sigma,
                                             std::span<const float> z, const std::string& name) {
  const double c = mass_factor(sigma, z, name);
  std::vector<float> e(sigma.size());
  for (size_t k = 0; k < sigma.size(); ++k)
    e[k] = static_cast<float>(static_cast<double>(sigma[k]) * z[k] * c);
  return e;
}

void effective_singular_values_backward(std::span<const float> sigma, std::span<const float> p,
                                        double max_mult, std::span<const double> de,
                                        std::span<double> dp, const std::string& name) {
  const size_t r = sigma.size();
  T2_CHECK(p.size() == r && de.size() == r && dp.size() == r,
           "matrix '%s': backward of the scaling got %zu parameters and %zu gradients for rank %zu",
           name.c_str(), p.size(), de.size(), r);
  // e_i = σ_i z_i c, c = Σσ / T, T = Σ σ_j z_j:
  // ∂L/∂z_k = σ_k c de_k − (c σ_k / T) Σ_i de_i σ_i z_i;  ∂z_k/∂p_k = max_mult · σ'(p_k).
  double sum_sigma = 0, t = 0, dot = 0;
  std::vector<double> z(r);
  for (size_t i = 0; i < r; ++i) {
    z[i] = sigmoid(p[i]) * max_mult;
    sum_sigma += sigma[i];
    t += sigma[i] * z[i];
  }
  T2_CHECK(std::isfinite(t) && t > 0, "matrix '%s': Σ(σ ⊙ z) = %g, so c is undefined",
           name.c_str(), t);
  const double c = sum_sigma / t;
  for (size_t i = 0; i < r; ++i) dot += de[i] * sigma[i] * z[i];
  for (size_t k = 0; k < r; ++k) {
    const double dz = sigma[k] * c * de[k] - c * sigma[k] / t * dot;
    const double sg = sigmoid(p[k]);
    dp[k] = dz * max_mult * sg * (1.0 - sg);
  }
}

void compose_dense(const Svd& svd, std::span<const float> z, std::span<float> w,
                   const std::string& name) {
  product(svd, effective_singular_values(svd.s, z, name), w);
}

std::vector<float> mix_z(std::span<const std::vector<float>* const> zk,
                         std::span<const double> weights, bool normalise,
                         const std::string& matrix) {
  T2_CHECK(!zk.empty() && zk.size() == weights.size(),
           "matrix '%s': %zu mixture weights for %zu experts", matrix.c_str(), weights.size(),
           zk.size());
  double sum = 0;
  for (size_t k = 0; k < weights.size(); ++k) {
    T2_CHECK(std::isfinite(weights[k]) && weights[k] >= 0, "matrix '%s': mixture weight %zu is "
             "%g; weights must be finite and >= 0", matrix.c_str(), k, weights[k]);
    sum += weights[k];
  }
  T2_CHECK(sum > 0, "matrix '%s': the mixture weights are all 0, so the mixed scaling z' would be "
           "0 and c = Σσ / Σ(σ ⊙ z') undefined", matrix.c_str());
  const double scale = normalise ? 1.0 / sum : 1.0;
  const size_t r = zk[0]->size();
  std::vector<double> acc(r, 0.0);
  for (size_t k = 0; k < zk.size(); ++k) {
    T2_CHECK(zk[k]->size() == r, "matrix '%s': expert %zu has %zu scaling values, expert 0 has %zu",
             matrix.c_str(), k, zk[k]->size(), r);
    const double wk = weights[k] * scale;
    for (size_t i = 0; i < r; ++i) acc[i] += wk * (*zk[k])[i];
  }
  return std::vector<float>(acc.begin(), acc.end());
}

}  // namespace t2::svf
