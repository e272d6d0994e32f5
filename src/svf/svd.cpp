// Thin SVD of one matrix through tensor/linalg.h, with the input and output checks of svf/svd.h.
#include "svf/svd.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "tensor/linalg.h"

namespace t2::svf {

const char* precision_name(SvdPrecision p) { return p == SvdPrecision::f64 ? "f64" : "f32"; }

SvdPrecision parse_precision(const std::string& text) {
  if (text == "f32") return SvdPrecision::f32;
  if (text == "f64") return SvdPrecision::f64;
  T2_FAIL("SVD precision must be 'f32' or 'f64', got '%s'", text.c_str());
}

namespace {

void check_finite(std::span<const float> w, int64_t n_in, const std::string& name) {
  for (size_t i = 0; i < w.size(); ++i) {
    if (!std::isfinite(w[i])) {
      T2_FAIL("matrix '%s' has a non-finite entry %g at [%lld, %lld]; the checkpoint is damaged",
              name.c_str(), static_cast<double>(w[i]), static_cast<long long>(i / n_in),
              static_cast<long long>(i % n_in));
    }
  }
}

}  // namespace

Svd compute_svd(std::span<const float> w, int64_t n_out, int64_t n_in, SvdPrecision precision,
                const std::string& name) {
  T2_CHECK(n_out > 0 && n_in > 0, "matrix '%s': shape [%lld, %lld] is empty", name.c_str(),
           static_cast<long long>(n_out), static_cast<long long>(n_in));
  T2_CHECK(static_cast<int64_t>(w.size()) == n_out * n_in,
           "matrix '%s': shape [%lld, %lld] needs %lld values, got %zu", name.c_str(),
           static_cast<long long>(n_out), static_cast<long long>(n_in),
           static_cast<long long>(n_out * n_in), w.size());
  check_finite(w, n_in, name);
  Svd out;
  out.n_out = n_out;
  out.n_in = n_in;
  out.r = std::min(n_out, n_in);
  out.u.resize(static_cast<size_t>(n_out * out.r));
  out.s.resize(static_cast<size_t>(out.r));
  out.v.resize(static_cast<size_t>(n_in * out.r));
  const bool f64 = precision == SvdPrecision::f64;
  const int info = tensor::svd_thin(w.data(), n_out, n_in, f64, out.u.data(), out.s.data(),
                                    out.v.data());
  const char* routine = f64 ? "dgesdd" : "sgesdd";
  if (info < 0) T2_FAIL("%s: bad argument %d for matrix '%s'", routine, -info, name.c_str());
  if (info > 0) {
    T2_FAIL("%s did not converge for matrix '%s' (info %d); try --precision f64", routine,
            name.c_str(), info);
  }
  return out;
}

void product(const Svd& svd, std::span<const float> e, std::span<float> w) {
  T2_CHECK(static_cast<int64_t>(w.size()) == svd.n_out * svd.n_in &&
               static_cast<int64_t>(e.size()) == svd.r,
           "SVD product: output has %zu values and e %zu, the matrix is [%lld, %lld] of rank %lld",
           w.size(), e.size(), static_cast<long long>(svd.n_out), static_cast<long long>(svd.n_in),
           static_cast<long long>(svd.r));
  const int64_t r = svd.r;
  std::vector<float> ue(svd.u);  // [n_out, r] = U · diag(e)
  for (int64_t i = 0; i < svd.n_out; ++i)
    for (int64_t k = 0; k < r; ++k) ue[i * r + k] *= e[k];
  tensor::gemm(tensor::Trans::no, tensor::Trans::yes, svd.n_out, svd.n_in, r, 1.0f, ue.data(), r,
               svd.v.data(), r, 0.0f, w.data(), svd.n_in);
}

double max_reconstruction_error(const Svd& svd, std::span<const float> w) {
  std::vector<float> rec(static_cast<size_t>(svd.n_out * svd.n_in));
  product(svd, svd.s, rec);
  double err = 0;
  for (size_t i = 0; i < rec.size(); ++i)
    err = std::max(err, std::abs(static_cast<double>(rec[i]) - static_cast<double>(w[i])));
  return err;
}

Svd shard_svd(const Svd& svd, bool rows_of_u, int64_t row0, int64_t n_rows) {
  const int64_t total = rows_of_u ? svd.n_out : svd.n_in;
  T2_CHECK(row0 >= 0 && n_rows > 0 && row0 + n_rows <= total, "shard rows [%lld, %lld) outside "
           "%lld", static_cast<long long>(row0), static_cast<long long>(row0 + n_rows),
           static_cast<long long>(total));
  Svd out;
  out.r = svd.r;
  out.s = svd.s;
  const auto slice = [&](const std::vector<float>& m) {
    return std::vector<float>(m.begin() + row0 * svd.r, m.begin() + (row0 + n_rows) * svd.r);
  };
  out.n_out = rows_of_u ? n_rows : svd.n_out;
  out.n_in = rows_of_u ? svd.n_in : n_rows;
  out.u = rows_of_u ? slice(svd.u) : svd.u;
  out.v = rows_of_u ? svd.v : slice(svd.v);
  return out;
}

void validate_svd(const Svd& svd, const std::string& name) {
  T2_CHECK(svd.n_out > 0 && svd.n_in > 0 && svd.r == std::min(svd.n_out, svd.n_in),
           "SVD of '%s': rank %lld does not fit shape [%lld, %lld]", name.c_str(),
           static_cast<long long>(svd.r), static_cast<long long>(svd.n_out),
           static_cast<long long>(svd.n_in));
  T2_CHECK(static_cast<int64_t>(svd.u.size()) == svd.n_out * svd.r &&
               static_cast<int64_t>(svd.v.size()) == svd.n_in * svd.r &&
               static_cast<int64_t>(svd.s.size()) == svd.r,
           "SVD of '%s': factor sizes U %zu, S %zu, V %zu do not match shape [%lld, %lld]",
           name.c_str(), svd.u.size(), svd.s.size(), svd.v.size(),
           static_cast<long long>(svd.n_out), static_cast<long long>(svd.n_in));
  for (int64_t k = 0; k < svd.r; ++k) {
    T2_CHECK(std::isfinite(svd.s[k]) && svd.s[k] >= 0 && (k == 0 || svd.s[k] <= svd.s[k - 1]),
             "SVD of '%s': singular value %lld (%g) is not finite, negative or out of order",
             name.c_str(), static_cast<long long>(k), static_cast<double>(svd.s[k]));
  }
  for (const auto* f : {&svd.u, &svd.v}) {
    for (float x : *f) {
      T2_CHECK(std::isfinite(x), "SVD of '%s': %s holds a non-finite value", name.c_str(),
               f == &svd.u ? "U" : "V");
    }
  }
}

}  // namespace t2::svf
