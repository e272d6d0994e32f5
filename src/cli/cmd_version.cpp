// `t2 version`: prints the version, git revision, build features and the BLAS library in use.
#include <cstdio>

#include "cli/commands.h"
#include "cli/device_option.h"  // cuda_backend_summary
#include "cli/options.h"
#include "cli/version.h"
#include "tensor/linalg.h"  // blas_description

namespace t2::cli {

int run_version(int argc, char** argv) {
  po::options_description desc("t2 version");
  if (parse_options("t2 version", desc, argc, argv).help) return 0;
  std::printf("t2 %s (git %s)\n", kVersion, kGitRevision);
  std::printf("features: mpi=%s cuda=%s nccl=%s\n", kWithMpi ? "on" : "off",
              kWithCuda ? "on" : "off", kWithNccl ? "on" : "off");
  std::printf("blas: %s\n", tensor::blas_description().c_str());
  std::printf("backends: cpu; %s\n", cuda_backend_summary().c_str());
  return 0;
}

}  // namespace t2::cli
