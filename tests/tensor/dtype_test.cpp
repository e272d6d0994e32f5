// dtype conversions against known bit patterns (ties, NaN, inf, subnormals), exhaustive round
// trips, and the CPU's own conversion instructions (F16C, AVX512-BF16) as independent references
// where the CPU has them; the bulk conversions at every vector level against the scalar ones.
#include "tensor/dtype.h"

#include <gtest/gtest.h>
#include <immintrin.h>  // _cvtss_sh, _mm512_cvtneps_pbh

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "tensor/cpu/isa.h"
#include "tensor/cpu/target.h"
#include "test_util.h"

// The conversion instructions, compiled for the level that has them (run only when it is there).
T2_TARGET_BEGIN(T2_TARGET_AVX2)
namespace t2::tensor::avx2_test {
uint16_t f16c_from_f32(float f) { return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT); }
float f16c_to_f32(uint16_t h) { return _cvtsh_ss(h); }
}  // namespace t2::tensor::avx2_test
T2_TARGET_END
T2_TARGET_BEGIN(T2_TARGET_AVX512BF16)
namespace t2::tensor::avx512bf16_test {
void cvtneps_pbh(const float* in, uint16_t* out) {
  __m256bh r = _mm512_cvtneps_pbh(_mm512_loadu_ps(in));
  std::memcpy(out, &r, 32);
}
}  // namespace t2::tensor::avx512bf16_test
T2_TARGET_END

namespace t2::tensor {
namespace {

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtype_size(DType::f32), 4u);
  EXPECT_EQ(dtype_size(DType::bf16), 2u);
  EXPECT_EQ(dtype_size(DType::f16), 2u);
  EXPECT_STREQ(dtype_name(DType::bf16), "bf16");
  EXPECT_STREQ(dtype_name(DType::f16), "f16");
  EXPECT_STREQ(dtype_name(DType::f32), "f32");
}

TEST(DType, Bf16KnownPatterns) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(-2.0f), 0xc000);
  EXPECT_EQ(f32_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_bf16(from_bits(0x3f808000)), 0x3f80);  // tie, even below
  EXPECT_EQ(f32_to_bf16(from_bits(0x3f818000)), 0x3f82);  // tie, odd below: round up
  EXPECT_EQ(f32_to_bf16(from_bits(0x3f808001)), 0x3f81);  // just above the tie
  EXPECT_EQ(f32_to_bf16(from_bits(0x3f807fff)), 0x3f80);  // just below the tie
  EXPECT_EQ(f32_to_bf16(INFINITY), 0x7f80);
  EXPECT_EQ(f32_to_bf16(-INFINITY), 0xff80);
  EXPECT_EQ(f32_to_bf16(from_bits(0x7f7fffff)), 0x7f80);  // FLT_MAX rounds to inf
  EXPECT_EQ(f32_to_bf16(from_bits(0x00010000)), 0x0001);  // f32 subnormal kept
  // NaNs stay NaN, including a signalling NaN whose payload lives only in the low bits.
  for (uint32_t nan : {0x7fc00000u, 0x7f800001u, 0xff800001u, 0x7fffffffu}) {
    uint16_t b = f32_to_bf16(from_bits(nan));
    EXPECT_TRUE(std::isnan(bf16_to_f32(b))) << std::hex << nan;
    EXPECT_EQ(b & 0x8000, (nan >> 16) & 0x8000);
  }
  EXPECT_EQ(bits(bf16_to_f32(0x3f80)), 0x3f800000u);
  EXPECT_EQ(bf16_to_f32(0x4049), 3.140625f);
}

TEST(DType, F16KnownPatterns) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(f32_to_f16(0.1f), 0x2e66);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // tie with odd max → inf
  EXPECT_EQ(f32_to_f16(1e10f), 0x7c00);
  EXPECT_EQ(f32_to_f16(-INFINITY), 0xfc00);
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie, even below
  EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie, odd below
  // Subnormals: 2^-24 is the smallest; 2^-25 ties to 0; 3·2^-25 ties up to 2·2^-24.
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -25)), 0x0002);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -30)), 0x0000);
  EXPECT_EQ(f32_to_f16(std::ldexp(1023.5f, -24)), 0x0400);  // rounds across into the normals
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(f16_to_f32(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_EQ(f16_to_f32(0x7c00), INFINITY);
  EXPECT_EQ(f16_to_f32(0xfc00), -INFINITY);
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7c01)));
  EXPECT_EQ(bits(f16_to_f32(0x7c01)), 0x7fc02000u);  // signalling NaN made quiet, payload kept
  EXPECT_EQ(bits(f16_to_f32(0xfe00)), 0xffc00000u);
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(from_bits(0x7f800001)))));
}

TEST(DType, ExhaustiveRoundTrips) {
  for (uint32_t b = 0; b < 65536; ++b) {
    uint16_t h = static_cast<uint16_t>(b);
    float f = f16_to_f32(h);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f))));
    } else {
      ASSERT_EQ(f32_to_f16(f), h) << std::hex << b;
    }
    float g = bf16_to_f32(h);
    if (!std::isnan(g)) {
      ASSERT_EQ(f32_to_bf16(g), h) << std::hex << b;
    }
  }
}

TEST(DType, F16MatchesF16CInstruction) {
  if (cpu_isa_supported() < CpuIsa::avx2) GTEST_SKIP() << "this CPU has no F16C";
  std::mt19937 gen(7);
  for (int i = 0; i < 2000000; ++i) {
    float f = from_bits(gen());
    uint16_t hw = avx2_test::f16c_from_f32(f);
    ASSERT_EQ(f32_to_f16(f), hw) << std::hex << bits(f);
    ASSERT_EQ(bits(f16_to_f32(hw)), bits(avx2_test::f16c_to_f32(hw)));
  }
  for (uint32_t b = 0; b < 65536; ++b)  // every half pattern, signalling NaNs included
    ASSERT_EQ(bits(f16_to_f32(uint16_t(b))), bits(avx2_test::f16c_to_f32(uint16_t(b)))) << std::hex << b;
}

TEST(DType, Bf16MatchesAvx512Bf16Instruction) {
  if (cpu_isa_supported() < CpuIsa::avx512bf16) GTEST_SKIP() << "this CPU has no AVX512-BF16";
  // vcvtneps2bf16 rounds to nearest even but flushes f32 subnormals, so those are excluded.
  std::mt19937 gen(11);
  float in[16];
  uint16_t out[16];
  for (int i = 0; i < 200000; ++i) {
    for (float& f : in) {
      do f = from_bits(gen());
      while (std::fpclassify(f) == FP_SUBNORMAL || std::isnan(f));
    }
    avx512bf16_test::cvtneps_pbh(in, out);
    for (int l = 0; l < 16; ++l) ASSERT_EQ(f32_to_bf16(in[l]), out[l]) << std::hex << bits(in[l]);
  }
}

void check_bulk_conversions();

// At the generic level and at every vector level the CPU has (the bulk loops use AVX2/F16C).
TEST(DType, BulkConversionsMatchScalarBitForBit) {
  for (CpuIsa isa : testing::kAllIsas)
    if (isa <= cpu_isa_supported()) {
      SCOPED_TRACE(cpu_isa_name(isa));
      testing::IsaGuard guard(isa);
      check_bulk_conversions();
    }
}

void check_bulk_conversions() {
  // Every 16-bit pattern (NaNs included) through convert_to_f32, and random f32 bit patterns
  // (NaN payloads, subnormals, infinities) through convert_from_f32; 100003 is not a multiple of 8.
  std::vector<uint16_t> all(65536);
  for (uint32_t b = 0; b < 65536; ++b) all[b] = static_cast<uint16_t>(b);
  std::vector<float> wide(all.size());
  for (DType dt : {DType::bf16, DType::f16}) {
    convert_to_f32(all.data(), dt, wide.data(), all.size());
    for (uint32_t b = 0; b < 65536; ++b) {
      float expect = dt == DType::bf16 ? bf16_to_f32(all[b]) : f16_to_f32(all[b]);
      ASSERT_EQ(bits(wide[b]), bits(expect)) << dtype_name(dt) << " pattern " << std::hex << b;
    }
  }
  std::mt19937 gen(3);
  std::vector<float> src(100003);
  for (float& f : src) f = from_bits(gen());
  // Rounding ties and the largest values below a carry into the exponent or into inf.
  for (uint32_t u : {0x3f808000u, 0x3f818000u, 0x7f7f8000u, 0x7f7fffffu, 0xff7fffffu, 0x0000ffffu,
                     0x00008000u, 0x7f800001u, 0xffc00000u, 0x33000000u, 0x477ff000u})
    src.push_back(from_bits(u));
  for (DType dt : {DType::bf16, DType::f16}) {
    std::vector<uint16_t> packed(src.size());
    convert_from_f32(src.data(), dt, packed.data(), src.size());
    for (size_t i = 0; i < src.size(); ++i) {
      uint16_t expect = dt == DType::bf16 ? f32_to_bf16(src[i]) : f32_to_f16(src[i]);
      ASSERT_EQ(packed[i], expect) << dtype_name(dt) << " element " << i << " bits " << std::hex << bits(src[i]);
    }
  }
  std::vector<float> copy(src.size());
  convert_from_f32(src.data(), DType::f32, copy.data(), src.size());
  EXPECT_EQ(std::memcmp(copy.data(), src.data(), src.size() * 4), 0);
}

}  // namespace
}  // namespace t2::tensor
