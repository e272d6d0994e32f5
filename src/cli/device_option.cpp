// --device resolution and the CUDA backend's installation (see device_option.h).
#include "cli/device_option.h"

#include "base/error.h"
#ifdef T2_HAVE_CUDA
#include "cuda/cuda_model.h"  // install_cuda_backend
#include "cuda/device.h"      // device_count, backend_summary
#include "cuda/kernels.h"     // copy_bandwidth_gbs
#endif

namespace t2::cli {

void add_device_option(po::options_description& desc) {
  desc.add_options()("device", po::value<std::string>()->default_value("auto"),
                     "where the model runs: cpu or cuda (auto: cuda when t2 was built with CUDA "
                     "and a GPU is visible, else cpu; one GPU per rank, the node-local rank "
                     "modulo the visible GPUs)");
}

std::string apply_device_option(const po::variables_map& vm) {
  const std::string want = vm.count("device") ? vm["device"].as<std::string>() : "auto";
  if (want != "auto" && want != "cpu" && want != "cuda")
    throw CollectiveError(format("--device must be cpu, cuda or auto, got '%s'", want.c_str()));
  if (want == "cpu") return "cpu";
#ifdef T2_HAVE_CUDA
  const int n = cuda::device_count();
  if (n == 0) {
    if (want == "auto") return "cpu";
    throw CollectiveError("--device cuda: no CUDA device is visible to this process; check "
                          "CUDA_VISIBLE_DEVICES and the job's GPU request (--gres=gpu:N), or use "
                          "--device cpu");
  }
  cuda::install_cuda_backend();
  return "cuda";
#else
  if (want == "cuda")
    throw CollectiveError("--device cuda: this t2 was built without the CUDA backend; rebuild "
                          "with cmake -DT2_WITH_CUDA=ON (see README), or use --device cpu");
  return "cpu";
#endif
}

std::string cuda_backend_summary() {
#ifdef T2_HAVE_CUDA
  return cuda::backend_summary();
#else
  return "not built (configure with -DT2_WITH_CUDA=ON)";
#endif
}

double device_copy_bandwidth_gbs(size_t bytes, int repeats) {
#ifdef T2_HAVE_CUDA
  return cuda::copy_bandwidth_gbs(bytes, repeats);
#else
  return 0.0;
#endif
}

}  // namespace t2::cli
