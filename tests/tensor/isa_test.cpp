// The instruction-set levels of cpu/isa.h: level rules on synthetic feature sets (a hypervisor that
// hides AVX-512 state, AMX without the Linux permission, AVX-512 without BW/VL ...), names, the
// refusal of a level this CPU lacks, and T2_CPU_KERNELS read once at the first use (each case in a
// fresh process, as GoogleTest's "threadsafe" death tests re-execute the binary).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/error.h"
#include "tensor/cpu/isa.h"
#include "test_util.h"

namespace t2::tensor {
namespace {

CpuFeatures full() {
  CpuFeatures f;
  f.avx2 = f.fma = f.f16c = true;
  f.avx512f = f.avx512bw = f.avx512dq = f.avx512vl = f.avx512bf16 = true;
  f.amx_tile = f.amx_bf16 = true;
  f.os_avx = f.os_avx512 = f.os_amx = f.amx_permitted = true;
  return f;
}

TEST(CpuIsa, LevelRules) {
  EXPECT_EQ(best_cpu_isa(full()), CpuIsa::amx);
  EXPECT_EQ(best_cpu_isa(CpuFeatures{}), CpuIsa::generic);
  CpuFeatures f = full();
  f.amx_permitted = false;  // Linux refused the tile data
  EXPECT_EQ(best_cpu_isa(f), CpuIsa::avx512bf16);
  EXPECT_NE(cpu_isa_missing(CpuIsa::amx, f).find("arch_prctl"), std::string::npos);
  f = full();
  f.os_amx = false;
  EXPECT_EQ(best_cpu_isa(f), CpuIsa::avx512bf16);
  f = full();
  f.avx512bf16 = false;  // Ice Lake / Skylake-SP
  f.amx_tile = f.amx_bf16 = false;
  EXPECT_EQ(best_cpu_isa(f), CpuIsa::avx512);
  EXPECT_EQ(cpu_isa_missing(CpuIsa::avx512bf16, f), "avx512_bf16");
  f = full();
  f.os_avx512 = false;  // AVX-512 instructions present, state not saved by the OS
  EXPECT_EQ(best_cpu_isa(f), CpuIsa::avx2);
  EXPECT_EQ(cpu_isa_missing(CpuIsa::avx512, f), "OS support for AVX-512 state");
  f = full();
  f.avx512bw = false;  // Knights Landing: F without BW/VL
  EXPECT_EQ(best_cpu_isa(f), CpuIsa::avx2);
  f = full();
  f.f16c = false;
  EXPECT_EQ(best_cpu_isa(f), CpuIsa::generic);
  EXPECT_EQ(cpu_isa_missing(CpuIsa::avx2, f), "avx2/fma/f16c");
  EXPECT_EQ(cpu_isa_missing(CpuIsa::generic, CpuFeatures{}), "");
  EXPECT_EQ(cpu_isa_missing(CpuIsa::amx, full()), "");
}

TEST(CpuIsa, NamesRoundTrip) {
  for (CpuIsa isa : testing::kAllIsas) EXPECT_EQ(parse_cpu_isa(cpu_isa_name(isa)), isa);
  EXPECT_EQ(parse_cpu_isa("best"), cpu_isa_supported());
  try {
    parse_cpu_isa("sse9");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown CPU kernel level 'sse9'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("avx512bf16"), std::string::npos) << e.what();
  }
}

TEST(CpuIsa, DetectedLevelIsConsistent) {
  const CpuFeatures& f = cpu_features();
  EXPECT_EQ(cpu_isa_supported(), best_cpu_isa(f));
  EXPECT_EQ(cpu_isa_missing(cpu_isa_supported(), f), "");
  EXPECT_FALSE(cpu_feature_list(f).empty());
  std::printf("CPU %s: best level %s (%s)\n", f.model.c_str(), cpu_isa_name(cpu_isa_supported()),
              cpu_feature_list(f).c_str());
}

TEST(CpuIsa, SetLowerLevelsAndRefuseHigherOnes) {
  const CpuIsa saved = cpu_isa();
  for (CpuIsa isa : testing::kAllIsas) {
    if (isa <= cpu_isa_supported()) {
      set_cpu_isa(isa);
      EXPECT_EQ(cpu_isa(), isa);
    } else {
      try {
        set_cpu_isa(isa);
        FAIL() << "set_cpu_isa(" << cpu_isa_name(isa) << ") accepted on a CPU without it";
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("lacks"), std::string::npos) << e.what();
      }
      EXPECT_EQ(cpu_isa(), testing::kAllIsas[size_t(isa) - 1]);  // unchanged
    }
  }
  set_cpu_isa(saved);
}

// T2_CPU_KERNELS is read at the first cpu_isa() of a process: run each case in a child that
// sets it first. Exit code 0 and the chosen level on stderr, or 3 and the error message.
void first_use_with_env(const char* value) {
  setenv("T2_CPU_KERNELS", value, 1);
  try {
    const CpuIsa isa = cpu_isa();
    std::fprintf(stderr, "level=%s\n", cpu_isa_name(isa));
    std::exit(0);
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    std::exit(3);
  }
}

TEST(CpuIsaEnv, ForcesALowerLevel) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(first_use_with_env("avx2"), ::testing::ExitedWithCode(cpu_isa_supported() >= CpuIsa::avx2 ? 0 : 3),
              cpu_isa_supported() >= CpuIsa::avx2 ? "level=avx2" : "lacks");
  EXPECT_EXIT(first_use_with_env("generic"), ::testing::ExitedWithCode(0), "level=generic");
  EXPECT_EXIT(first_use_with_env("best"), ::testing::ExitedWithCode(0),
              std::string("level=") + cpu_isa_name(cpu_isa_supported()));
}

TEST(CpuIsaEnv, RefusesUnknownAndUnsupportedLevels) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(first_use_with_env("avx1024"), ::testing::ExitedWithCode(3),
              "T2_CPU_KERNELS=avx1024: unknown CPU kernel level 'avx1024'");
  if (cpu_isa_supported() == CpuIsa::amx) {
    std::printf("(this CPU has every level: the refusal of a missing one is covered by LevelRules)\n");
    return;
  }
  const CpuIsa above = testing::kAllIsas[size_t(cpu_isa_supported()) + 1];
  EXPECT_EXIT(first_use_with_env(cpu_isa_name(above)), ::testing::ExitedWithCode(3),
              std::string("T2_CPU_KERNELS=") + cpu_isa_name(above) + " asks for the");
}

}  // namespace
}  // namespace t2::tensor
