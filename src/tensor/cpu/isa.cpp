// Detection and selection of the fast kernels' instruction-set level (see isa.h). A feature counts
// only when cpuid reports it AND the OS saves the register state it needs (XCR0): a hypervisor or
// kernel may hide AVX-512 or AMX state even from a CPU that has the instructions. AMX tile data is
// additionally handed out by Linux only on request (arch_prctl ARCH_REQ_XCOMP_PERM).
#include "tensor/cpu/isa.h"

#include <atomic>
#include <cstdlib>  // std::getenv
#include <cstring>
#include <mutex>

#include "base/error.h"

#if defined(__x86_64__)
#include <cpuid.h>        // __get_cpuid_count
#include <sys/syscall.h>  // SYS_arch_prctl
#include <unistd.h>       // syscall
#endif

namespace t2::tensor {

namespace {

constexpr CpuIsa kLevels[] = {CpuIsa::generic, CpuIsa::avx2, CpuIsa::avx512, CpuIsa::avx512bf16,
                              CpuIsa::amx};

#if defined(__x86_64__)

struct Regs {
  unsigned a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(unsigned leaf, unsigned sub) {
  Regs r;
  if (!__get_cpuid_count(leaf, sub, &r.a, &r.b, &r.c, &r.d)) r = Regs{};
  return r;
}

bool bit(unsigned v, int i) { return (v >> i) & 1u; }

uint64_t xgetbv0() {
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}

CpuFeatures detect() {
  CpuFeatures f;
  const Regs l1 = cpuid(1, 0);
  const bool osxsave = bit(l1.c, 27);
  const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  f.os_avx = (xcr0 & 0x6) == 0x6;                  // SSE + AVX state
  f.os_avx512 = f.os_avx && (xcr0 & 0xe0) == 0xe0;  // opmask, ZMM_Hi256, Hi16_ZMM
  f.os_amx = (xcr0 & 0x60000) == 0x60000;          // XTILECFG, XTILEDATA
  f.fma = bit(l1.c, 12);
  f.f16c = bit(l1.c, 29);
  unsigned max_leaf = 0, unused = 0;
  __get_cpuid(0, &max_leaf, &unused, &unused, &unused);
  if (max_leaf >= 7) {
    const Regs l7 = cpuid(7, 0), l71 = cpuid(7, 1);
    f.avx2 = bit(l7.b, 5);
    f.avx512f = bit(l7.b, 16);
    f.avx512dq = bit(l7.b, 17);
    f.avx512bw = bit(l7.b, 30);
    f.avx512vl = bit(l7.b, 31);
    f.amx_bf16 = bit(l7.d, 22);
    f.amx_tile = bit(l7.d, 24);
    f.avx512bf16 = bit(l71.a, 5);
  }
  if (f.amx_tile && f.amx_bf16 && f.os_amx) {
    constexpr int kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    f.amx_permitted = syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  }
  unsigned max_ext = 0;
  __get_cpuid(0x80000000u, &max_ext, &unused, &unused, &unused);
  if (max_ext >= 0x80000004u) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      const Regs r = cpuid(0x80000002u + i, 0);
      std::memcpy(brand + 16 * i, &r, 16);
    }
    std::string s(brand);
    const size_t b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
    if (b != std::string::npos) f.model = s.substr(b, e - b + 1);
  }
  return f;
}

#else

CpuFeatures detect() { return CpuFeatures{}; }

#endif

std::string unsupported_message(const char* what, CpuIsa isa) {
  const CpuIsa best = cpu_isa_supported();
  return format("%s asks for the '%s' kernels, but this CPU (%s) lacks %s; the highest level it "
                "supports is '%s'. Hint: choose a level up to '%s', or unset T2_CPU_KERNELS to use "
                "the best one",
                what, cpu_isa_name(isa), cpu_features().model.c_str(),
                cpu_isa_missing(isa, cpu_features()).c_str(), cpu_isa_name(best), cpu_isa_name(best));
}

// The chosen level; -1 until the first cpu_isa() or set_cpu_isa().
std::atomic<int> g_isa{-1};
std::mutex g_init_mu;
std::string g_env_error;  // set once under g_init_mu when T2_CPU_KERNELS is unusable

}  // namespace

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::generic: return "generic";
    case CpuIsa::avx2: return "avx2";
    case CpuIsa::avx512: return "avx512";
    case CpuIsa::avx512bf16: return "avx512bf16";
    case CpuIsa::amx: return "amx";
  }
  return "unknown";
}

CpuIsa parse_cpu_isa(std::string_view name) {
  if (name == "best") return cpu_isa_supported();
  for (CpuIsa isa : kLevels)
    if (name == cpu_isa_name(isa)) return isa;
  T2_FAIL("unknown CPU kernel level '%.*s'; expected one of generic, avx2, avx512, avx512bf16, amx "
          "or best", static_cast<int>(name.size()), name.data());
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

CpuIsa best_cpu_isa(const CpuFeatures& f) {
  if (!(f.os_avx && f.avx2 && f.fma && f.f16c)) return CpuIsa::generic;
  if (!(f.os_avx512 && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl)) return CpuIsa::avx2;
  if (!f.avx512bf16) return CpuIsa::avx512;
  if (!(f.amx_tile && f.amx_bf16 && f.os_amx && f.amx_permitted)) return CpuIsa::avx512bf16;
  return CpuIsa::amx;
}

std::string cpu_isa_missing(CpuIsa isa, const CpuFeatures& f) {
  std::string out;
  auto need = [&](bool have, const char* name) {
    if (!have) out += out.empty() ? name : std::string(", ") + name;
  };
  if (isa >= CpuIsa::avx2) {
    need(f.avx2 && f.fma && f.f16c, "avx2/fma/f16c");
    need(f.os_avx, "OS support for AVX state");
  }
  if (isa >= CpuIsa::avx512) {
    need(f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl, "avx512f/bw/dq/vl");
    need(f.os_avx512, "OS support for AVX-512 state");
  }
  if (isa >= CpuIsa::avx512bf16) need(f.avx512bf16, "avx512_bf16");
  if (isa >= CpuIsa::amx) {
    need(f.amx_tile && f.amx_bf16, "amx_tile/amx_bf16");
    need(f.os_amx, "OS support for AMX tile state");
    if (f.amx_tile && f.amx_bf16 && f.os_amx)
      need(f.amx_permitted, "the Linux AMX permission (arch_prctl ARCH_REQ_XCOMP_PERM was refused)");
  }
  return out;
}

CpuIsa cpu_isa_supported() {
  static const CpuIsa best = best_cpu_isa(cpu_features());
  return best;
}

CpuIsa cpu_isa() {
  int v = g_isa.load(std::memory_order_acquire);
  if (v < 0) {
    std::lock_guard<std::mutex> lk(g_init_mu);
    v = g_isa.load(std::memory_order_acquire);
    if (v < 0 && g_env_error.empty()) {
      CpuIsa isa = cpu_isa_supported();
      if (const char* env = std::getenv("T2_CPU_KERNELS"); env != nullptr && *env != '\0') {
        try {
          isa = parse_cpu_isa(env);
          if (isa > cpu_isa_supported())
            g_env_error = unsupported_message(format("T2_CPU_KERNELS=%s", env).c_str(), isa);
        } catch (const Error& e) {
          g_env_error = format("T2_CPU_KERNELS=%s: %s", env, e.what());
        }
      }
      if (g_env_error.empty()) {
        v = static_cast<int>(isa);
        g_isa.store(v, std::memory_order_release);
      }
    }
    if (v < 0) throw Error(g_env_error);
  }
  return static_cast<CpuIsa>(v);
}

void set_cpu_isa(CpuIsa isa) {
  T2_CHECK(isa <= cpu_isa_supported(), "%s",
           unsupported_message("set_cpu_isa", isa).c_str());
  g_isa.store(static_cast<int>(isa), std::memory_order_release);
}

std::string cpu_feature_list(const CpuFeatures& f) {
  std::string out;
  auto add = [&](bool have, const char* name) {
    if (have) out += out.empty() ? name : std::string(" ") + name;
  };
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.f16c, "f16c");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512dq, "avx512dq");
  add(f.avx512vl, "avx512vl");
  add(f.avx512bf16, "avx512_bf16");
  add(f.amx_tile, "amx_tile");
  add(f.amx_bf16, "amx_bf16");
  add(f.os_avx, "os-avx");
  add(f.os_avx512, "os-avx512");
  add(f.os_amx, "os-amx");
  add(f.amx_permitted, "amx-permitted");
  return out.empty() ? "none" : out;
}

}  // namespace t2::tensor
