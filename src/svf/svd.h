// Thin SVD of one weight matrix, W = U · diag(S) · Vᵀ, computed by tensor/linalg.h (LAPACK's
// divide-and-conquer driver in f32 or f64) straight on the row-major buffer. This file knows
// nothing about files or models; svd_store.h persists results and decompose.h runs whole checkpoints.
//
// Letters used in shape comments across svf/: out = rows of W (output features), in = columns of W
// (input features), r = min(out, in), n = rows of an activation batch.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace t2::svf {

enum class SvdPrecision { f32, f64 };  // LAPACK precision used for the factorisation
const char* precision_name(SvdPrecision p);
SvdPrecision parse_precision(const std::string& text);  // "f32" | "f64", throws otherwise

// The factors of one matrix, stored in f32 whatever precision computed them.
// Value type; copying copies all three factors (hundreds of MB at 8B-model shapes).
struct Svd {
  int64_t n_out = 0;
  int64_t n_in = 0;
  int64_t r = 0;         // min(n_out, n_in)
  std::vector<float> u;  // [n_out, r]   left singular vectors as columns
  std::vector<float> s;  // [r]          singular values, descending, ≥ 0
  std::vector<float> v;  // [n_in, r]    right singular vectors as columns (V, not Vᵀ)
};

// Thin SVD of w [n_out, n_in] (row-major). name is used in error messages only. Refuses NaN/Inf
// entries and reports non-convergence, naming the matrix. Cost: O(n_out · n_in · r) flops and
// about (n_out + n_in) · r + 4 r² floats of workspace (doubles for f64).
Svd compute_svd(std::span<const float> w, int64_t n_out, int64_t n_in, SvdPrecision precision,
                const std::string& name);

// w [n_out, n_in] = U · diag(e) · Vᵀ for any e [r] (e = S reconstructs W; e = σ ⊙ z · c composes
// an adapted matrix, compose.h). Cost: one f32 gemm, 2 · n_out · n_in · r flops.
void product(const Svd& svd, std::span<const float> e, std::span<float> w);

// max |W − U·diag(S)·Vᵀ| over all entries.
double max_reconstruction_error(const Svd& svd, std::span<const float> w);

// Rows [row0, row0 + n_rows) of U (rows_of_u: a column-parallel shard of W's rows) or of V (a
// row-parallel shard of W's columns); r and S are kept, so the shard-local composition is exact.
Svd shard_svd(const Svd& svd, bool rows_of_u, int64_t row0, int64_t n_rows);

// Checks the internal consistency of factors read from disk (sizes, finiteness, S descending and
// non-negative); throws naming `name`.
void validate_svd(const Svd& svd, const std::string& name);

}  // namespace t2::svf
