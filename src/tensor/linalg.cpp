// BLAS, LAPACK and OpenMP runtime calls of t2 (see linalg.h).
//
// The SVD works on the row-major buffer without transposing W: to column-major LAPACK a row-major
// W [out, in] is B = Wᵀ [in, out] with leading dimension in. gesdd(B) = U_B Σ V_Bᵀ gives
// W = V_B Σ U_Bᵀ, so LAPACK's column-major "VT" output [r, out] is exactly U_W row-major [out, r],
// and its "U" output [in, r] column-major is V_Wᵀ row-major [r, in]; one transpose yields V [in, r].
#include "tensor/linalg.h"

#include <cblas.h>
#include <lapacke.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "base/error.h"

namespace t2::tensor {

namespace {

CBLAS_TRANSPOSE cblas_trans(Trans t) { return t == Trans::yes ? CblasTrans : CblasNoTrans; }

// vt_rm [r, n_in] row-major → v [n_in, r] row-major, rounded to f32.
template <class T>
void transpose_into(const std::vector<T>& vt_rm, int64_t r, int64_t n_in, float* v) {
  for (int64_t k = 0; k < r; ++k)
    for (int64_t j = 0; j < n_in; ++j) v[j * r + k] = static_cast<float>(vt_rm[k * n_in + j]);
}

}  // namespace

void gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  T2_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size [%lld, %lld] x %lld",
           static_cast<long long>(m), static_cast<long long>(n), static_cast<long long>(k));
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, cblas_trans(ta), cblas_trans(tb), static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b,
              static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

int svd_thin(const float* w, int64_t n_out, int64_t n_in, bool f64, float* u, float* s, float* v) {
  const int64_t r = std::min(n_out, n_in);
  const size_t n = static_cast<size_t>(n_out * n_in);
  lapack_int info = 0;
  if (!f64) {
    std::vector<float> a(w, w + n);  // gesdd destroys its input
    std::vector<float> vt(static_cast<size_t>(r * n_in));
    // Column-major B = Wᵀ [n_in, n_out]: "U" → Vᵀ rows, "VT" → U [n_out, r] row-major.
    info = LAPACKE_sgesdd(LAPACK_COL_MAJOR, 'S', n_in, n_out, a.data(), n_in, s, vt.data(), n_in,
                          u, r);
    if (info == 0) transpose_into(vt, r, n_in, v);
  } else {
    std::vector<double> a(w, w + n);
    std::vector<double> sd(static_cast<size_t>(r)), vt(static_cast<size_t>(r * n_in)),
        ud(static_cast<size_t>(n_out * r));
    info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', n_in, n_out, a.data(), n_in, sd.data(), vt.data(),
                          n_in, ud.data(), r);
    if (info == 0) {
      std::transform(sd.begin(), sd.end(), s, [](double x) { return static_cast<float>(x); });
      std::transform(ud.begin(), ud.end(), u, [](double x) { return static_cast<float>(x); });
      transpose_into(vt, r, n_in, v);
    }
  }
  return static_cast<int>(info);
}

void set_threads(int n) {
  T2_CHECK(n >= 0, "thread count must be >= 0, got %d", n);
  if (n == 0) return;
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int max_threads() { return omp_get_max_threads(); }

std::string blas_description() {
  const char* config = openblas_get_config();
  const char* core = openblas_get_corename();
  return t2::format("%s, core %s, %d thread(s)", config ? config : "OpenBLAS",
                    core ? core : "unknown", openblas_get_num_threads());
}

}  // namespace t2::tensor
