// Dense linear algebra on f32/f64 host buffers: general matrix products and the thin SVD, plus the
// process-wide thread setting of the CPU libraries behind them. This is the only place in t2 that
// calls BLAS, LAPACK or the OpenMP runtime API; everything above (svf composition and SVD, the
// training kernels, the CLI's --threads) comes through here, so that another backend replaces them
// in one file. The engine's own forward kernels (ops.h) are separate: they take bf16/f16/f32
// weights and never go through BLAS.
// All matrices are row-major. Thread-safe; the routines use the library's threads internally.
#pragma once

#include <cstdint>
#include <string>

namespace t2::tensor {

enum class Trans { no, yes };

// C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C, op(X) = X or Xᵀ as given; lda/ldb/ldc
// are the row strides of A, B, C as stored. Cost: 2·m·n·k flops.
void gemm(Trans ta, Trans tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Thin SVD of w [n_out, n_in] (row-major): w = u · diag(s) · vᵀ with r = min(n_out, n_in),
//   u [n_out, r], s [r] (descending, ≥ 0), v [n_in, r]   (all row-major, v not transposed).
// Computed by LAPACK's divide-and-conquer driver in f32 or in f64 (inputs converted, outputs
// rounded to f32). Returns 0 on success, the LAPACK info code otherwise (> 0: no convergence).
// Workspace: about (n_out + n_in) · r + 4 r² values of the working precision.
int svd_thin(const float* w, int64_t n_out, int64_t n_in, bool f64, float* u, float* s, float* v);

// Threads of the CPU libraries (OpenMP teams, the fast kernels' pool, BLAS). 0 leaves the
// defaults. Call before the work starts, e.g. from --threads.
void set_threads(int n);
int max_threads();

// The BLAS library in use and the core type it selected ("OpenBLAS 0.3.21 SkylakeX, 2 threads"),
// for `t2 version` and benchmark reports.
std::string blas_description();

}  // namespace t2::tensor
