// `t2 version`: prints the version, git revision, build features, the BLAS library in use, and the
// CPU kernel level: what the CPU supports and what the kernels use now (T2_CPU_KERNELS may force a
// lower level; an unusable value is reported as the error it causes in every command).
#include <cstdio>

#include "cli/commands.h"
#include "cli/device_option.h"  // cuda_backend_summary
#include "cli/options.h"
#include "cli/version.h"
#include "tensor/cpu/isa.h"
#include "tensor/linalg.h"  // blas_description

namespace t2::cli {

int run_version(int argc, char** argv) {
  po::options_description desc("t2 version");
  if (parse_options("t2 version", desc, argc, argv).help) return 0;
  std::printf("t2 %s (git %s)\n", kVersion, kGitRevision);
  std::printf("features: mpi=%s cuda=%s nccl=%s\n", kWithMpi ? "on" : "off",
              kWithCuda ? "on" : "off", kWithNccl ? "on" : "off");
  std::printf("blas: %s\n", tensor::blas_description().c_str());
  std::printf("build: -march=%s outside the CPU kernels; kernels for generic, avx2, avx512, "
              "avx512bf16, amx chosen at run time\n", kBuildArch);
  const auto& cpu = tensor::cpu_features();
  std::printf("cpu: %s (%s)\n", cpu.model.c_str(), tensor::cpu_feature_list(cpu).c_str());
  std::printf("kernels supported: %s\n", tensor::cpu_isa_name(tensor::cpu_isa_supported()));
  std::fflush(stdout);
  std::printf("kernels: %s\n", tensor::cpu_isa_name(tensor::cpu_isa()));
  std::printf("backends: cpu; %s\n", cuda_backend_summary().c_str());
  return 0;
}

}  // namespace t2::cli
