// LAPACK SVD on row-major buffers. A row-major W [out, in] is, to column-major LAPACK, the matrix
// B = Wᵀ [in, out] with leading dimension in. gesdd(B) = U_B Σ V_Bᵀ gives W = V_B Σ U_Bᵀ, so
// LAPACK's column-major "VT" output [r, out] is exactly U_W row-major [out, r], and its "U" output
// [in, r] column-major is V_Wᵀ row-major [r, in]; one transpose yields V [in, r].
#include "svf/svd.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>

#include "base/error.h"

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

void check_info(lapack_int info, const std::string& name, const char* routine) {
  if (info < 0) T2_FAIL("%s: bad argument %d for matrix '%s'", routine, -info, name.c_str());
  if (info > 0) {
    T2_FAIL("%s did not converge for matrix '%s' (info %d); try --precision f64", routine,
            name.c_str(), info);
  }
}

// vt_rm [r, n_in] row-major → v [n_in, r] row-major.
template <class T> void transpose_into(const std::vector<T>& vt_rm, int64_t r, int64_t n_in,
                                       std::vector<float>& v) {
  v.resize(static_cast<size_t>(n_in * r));
  for (int64_t k = 0; k < r; ++k)
    for (int64_t j = 0; j < n_in; ++j) v[j * r + k] = static_cast<float>(vt_rm[k * n_in + j]);
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
  const int64_t r = out.r;
  out.u.resize(static_cast<size_t>(n_out * r));
  out.s.resize(static_cast<size_t>(r));
  if (precision == SvdPrecision::f32) {
    std::vector<float> a(w.begin(), w.end());  // gesdd destroys its input
    std::vector<float> vt(static_cast<size_t>(r * n_in));
    // Column-major B = Wᵀ [n_in, n_out]: "U" → Vᵀ rows, "VT" → U [n_out, r] row-major.
    const lapack_int info = LAPACKE_sgesdd(LAPACK_COL_MAJOR, 'S', n_in, n_out, a.data(), n_in,
                                           out.s.data(), vt.data(), n_in, out.u.data(), r);
    check_info(info, name, "sgesdd");
    transpose_into(vt, r, n_in, out.v);
  } else {
    std::vector<double> a(w.begin(), w.end());
    std::vector<double> s(static_cast<size_t>(r)), vt(static_cast<size_t>(r * n_in)),
        u(static_cast<size_t>(n_out * r));
    const lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', n_in, n_out, a.data(), n_in,
                                           s.data(), vt.data(), n_in, u.data(), r);
    check_info(info, name, "dgesdd");
    std::transform(s.begin(), s.end(), out.s.begin(), [](double x) { return float(x); });
    std::transform(u.begin(), u.end(), out.u.begin(), [](double x) { return float(x); });
    transpose_into(vt, r, n_in, out.v);
  }
  return out;
}

void reconstruct(const Svd& svd, std::span<float> w) {
  T2_CHECK(static_cast<int64_t>(w.size()) == svd.n_out * svd.n_in,
           "reconstruct: output has %zu values, matrix is [%lld, %lld]", w.size(),
           static_cast<long long>(svd.n_out), static_cast<long long>(svd.n_in));
  std::vector<float> us(svd.u);  // [out, r] · diag(S)
  for (int64_t i = 0; i < svd.n_out; ++i)
    for (int64_t k = 0; k < svd.r; ++k) us[i * svd.r + k] *= svd.s[k];
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, svd.n_out, svd.n_in, svd.r, 1.0f, us.data(),
              svd.r, svd.v.data(), svd.r, 0.0f, w.data(), svd.n_in);
}

double max_reconstruction_error(const Svd& svd, std::span<const float> w) {
  std::vector<float> rec(static_cast<size_t>(svd.n_out * svd.n_in));
  reconstruct(svd, rec);
  double err = 0;
  for (size_t i = 0; i < rec.size(); ++i)
    err = std::max(err, std::abs(static_cast<double>(rec[i]) - static_cast<double>(w[i])));
  return err;
}

void set_blas_threads(int n) {
  T2_CHECK(n >= 0, "BLAS thread count must be ≥ 0, got %d", n);
  if (n > 0) openblas_set_num_threads(n);
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
