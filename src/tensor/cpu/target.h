// Compiling a region of a kernel source for one instruction-set level, whatever the flags of the
// rest of the build (see cpu/isa.h for the levels and docs/tensor.md "Kernel dispatch"):
//
//   #include <immintrin.h>            // every header first, outside the region
//   T2_TARGET_BEGIN(T2_TARGET_AVX2)
//   namespace avx2 { ... }            // functions defined here may use AVX2/FMA/F16C
//   T2_TARGET_END
//
// Every function DEFINED inside the region (lambdas and templates included) is compiled for the
// level; code defined outside it (the standard library's templates, the rest of t2) keeps the
// baseline, so no instruction of a higher level leaks into code that runs before the dispatch.
// Such functions may only run after cpu_isa() has allowed their level. Put a region's code in a
// namespace named after the level: two regions must never define the same symbol.
#pragma once

#define T2_PRAGMA(x) _Pragma(#x)

#if defined(__clang__)
#define T2_TARGET_BEGIN(isa) \
  T2_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define T2_TARGET_END T2_PRAGMA(clang attribute pop)
#else
#define T2_TARGET_BEGIN(isa) T2_PRAGMA(GCC push_options) T2_PRAGMA(GCC target(isa))
#define T2_TARGET_END T2_PRAGMA(GCC pop_options)
#endif

// Feature sets of the levels of cpu/isa.h (each includes the previous one).
#define T2_TARGET_AVX2 "avx,avx2,fma,f16c"
#define T2_TARGET_AVX512 "avx,avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl"
#define T2_TARGET_AVX512BF16 \
  "avx,avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512bf16"
#define T2_TARGET_AMX \
  "avx,avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,amx-tile,amx-bf16"
