// Which instruction-set level the fast CPU kernels run at. One binary carries kernels for every
// level (cpu/target.h compiles each kernel region for its own level); the level is chosen at run
// time from cpuid, the OS's saved-state mask (XCR0) and, for AMX, the Linux permission request, so
// a CPU never meets an instruction it lacks. A lower level can be forced (tests, benchmarks,
// comparisons): set_cpu_isa() in code, or the environment variable T2_CPU_KERNELS, read once.
// Thread-safe: the level is one atomic; changing it while another thread runs kernels is allowed
// (each op reads it once) but makes that thread's results depend on the timing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace t2::tensor {

// Each level includes the ones before it.
//   generic     plain C++ loops (whatever the compiler's baseline allows): any x86-64 CPU
//   avx2        AVX2 + FMA + F16C (Haswell, Zen 1 and later)
//   avx512      AVX-512 F/BW/DQ/VL (Skylake-SP, Ice Lake)
//   avx512bf16  + AVX512-BF16 vdpbf16ps (Cooper Lake, Zen 4, Sapphire Rapids)
//   amx         + AMX-TILE/AMX-BF16 with the OS permission granted (Sapphire Rapids and later)
enum class CpuIsa : uint8_t { generic, avx2, avx512, avx512bf16, amx };

const char* cpu_isa_name(CpuIsa isa);  // "generic", "avx2", "avx512", "avx512bf16", "amx"

// The level named `name` (one of the names above, or "best"); t2::Error listing the names otherwise.
// "best" returns cpu_isa_supported().
CpuIsa parse_cpu_isa(std::string_view name);

// What the CPU and the OS report. A feature is usable only when the OS also saves its register
// state (os_*): a hypervisor may hide AVX-512 or AMX state from a CPU that has the instructions.
struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false;
  bool avx512bf16 = false, amx_tile = false, amx_bf16 = false;
  bool os_avx = false, os_avx512 = false, os_amx = false;  // XCR0 bits set by the OS
  bool amx_permitted = false;  // Linux granted the AMX tile data (arch_prctl ARCH_REQ_XCOMP_PERM)
  std::string model = "unknown";  // cpuid brand string
};

// This machine's features, detected once (the first call asks Linux for the AMX tile state).
const CpuFeatures& cpu_features();

// The highest level `f` allows, and what `f` lacks for `isa` (empty when nothing: "avx512_bf16,
// OS support for AVX-512 state"). Pure functions of `f`.
CpuIsa best_cpu_isa(const CpuFeatures& f);
std::string cpu_isa_missing(CpuIsa isa, const CpuFeatures& f);

// best_cpu_isa(cpu_features()).
CpuIsa cpu_isa_supported();

// The level the fast kernels use now: the last set_cpu_isa(), else T2_CPU_KERNELS when set, else
// cpu_isa_supported(). Throws t2::Error when T2_CPU_KERNELS names an unknown level or one above
// cpu_isa_supported() (and no set_cpu_isa() has overridden it), so a forced benchmark never
// silently runs a different path.
CpuIsa cpu_isa();

// Forces `isa` for the whole process; t2::Error naming what the CPU lacks when it is above
// cpu_isa_supported().
void set_cpu_isa(CpuIsa isa);

// The features of `f` that decide the level, space-separated ("avx2 fma f16c avx512f ...
// amx_bf16 os-amx amx-permitted"), for `t2 version`.
std::string cpu_feature_list(const CpuFeatures& f);

}  // namespace t2::tensor
