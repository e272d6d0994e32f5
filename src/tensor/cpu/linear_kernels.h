// Internal building blocks of the fast linear (cpu/fast_linear.cpp is the only caller) that are
// written for one level only. Not part of the public API. The kernels with f32 products for every
// vector level are in cpu/vec_kernels.h.
//   avx512bf16: dot kernel with vdpbf16ps on bf16 weights and bf16-rounded activations, any n.
//   amx:        TDPBF16PS on 16×32 tiles for bf16 weights with k % 32 == 0, n ≥ 2.
// Each may only run when cpu_isa() is at its level or above.
#pragma once

#include <cstdint>

namespace t2::tensor::fast {

namespace avx512bf16 {

// Rows [m0, m1) of y[n, m] (+)= xb[n, kp] · W[m, k]ᵀ with bf16 weights; xb holds x rounded to
// bf16, each row zero-padded to kp (a multiple of 32).
void linear_dot_bf16(const uint16_t* xb, int64_t kp, const uint16_t* w, float* y, int64_t n,
                     int64_t m, int64_t k, int64_t m0, int64_t m1, bool accumulate);

}  // namespace avx512bf16

namespace amx {

// Packs xb[n, k] (bf16, k a multiple of 32) into AMX B tiles: for each 16-row group of x and each
// 32-wide k block one 1 KiB tile in VNNI order. n is padded to a multiple of 16 with zeros.
// Returns the number of uint16_t written: round_up(n, 16) * k. Plain code (any level).
int64_t pack_x(const uint16_t* xb, int64_t n, int64_t k, uint16_t* packed);

// Rows [m0, m1) of y (m1 − m0 a multiple of 16) from the packed x above. k % 32 == 0.
void linear_bf16(const uint16_t* packed, const uint16_t* w, float* y, int64_t n, int64_t m,
                 int64_t k, int64_t m0, int64_t m1, bool accumulate);

}  // namespace amx

}  // namespace t2::tensor::fast
