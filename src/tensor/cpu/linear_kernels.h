// Internal building blocks of the fast linear (cpu/fast_linear.cpp is the only caller): the packed
// activation formats and the kernels that consume them. Not part of the public API.
//   dot kernels: y[n, m] from W rows streamed once per activation tile; AVX512-BF16 (vdpbf16ps)
//                for bf16 weights, AVX-512 FMA for f32 / f16 weights.
//   GEMM kernel: f32 / f16 weights at prefill-sized n, packed weight panels, 6×32 register tiles.
//   AMX kernel:  bf16 weights with k % 32 == 0, TDPBF16PS on 16×32 tiles (prefill-sized n).
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace t2::tensor::fast::detail {

// Rows [m0, m1) of y[n, m] = xb[n, kp] · W[m, k]ᵀ with bf16 weights; xb holds x rounded to bf16,
// each row zero-padded to kp (a multiple of 32).
void linear_dot_bf16(const uint16_t* xb, int64_t kp, const uint16_t* w, float* y, int64_t n,
                     int64_t m, int64_t k, int64_t m0, int64_t m1, bool accumulate);

// Rows [m0, m1) of y[n, m] = xf[n, kp] · W[m, k]ᵀ with f32 or f16 weights (products in f32);
// xf rows are zero-padded to kp (a multiple of 16).
void linear_dot_f32(const float* xf, int64_t kp, const void* w, DType w_dtype, float* y, int64_t n,
                    int64_t m, int64_t k, int64_t m0, int64_t m1, bool accumulate);

// Rows [m0, m1) of y[n, m] = x[n, k] · W[m, k]ᵀ for f32 or f16 weights by packed-panel GEMM
// (f32 products and sums). Only when have_gemm_f32() (AVX-512 builds).
void linear_gemm_f32(const float* x, const void* w, DType w_dtype, float* y, int64_t n, int64_t m,
                     int64_t k, int64_t m0, int64_t m1, bool accumulate);
bool have_gemm_f32();

// True when the CPU and OS let this process use AMX-BF16 tiles (asks the kernel once).
bool amx_available();

// Packs xb[n, kp] (bf16, kp = k here, a multiple of 32) into AMX B tiles: for each 16-row group of
// x and each 32-wide k block one 1 KiB tile in VNNI order. n is padded to a multiple of 16 with
// zeros. Returns the number of uint16_t written: round_up(n, 16) * k.
int64_t amx_pack_x(const uint16_t* xb, int64_t n, int64_t k, uint16_t* packed);

// Rows [m0, m1) of y (m1 − m0 a multiple of 16) with AMX, from the packed x above. k % 32 == 0.
void linear_amx_bf16(const uint16_t* packed, const uint16_t* w, float* y, int64_t n, int64_t m,
                     int64_t k, int64_t m0, int64_t m1, bool accumulate);

}  // namespace t2::tensor::fast::detail
