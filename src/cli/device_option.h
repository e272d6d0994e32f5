// --device cpu|cuda, the one option that picks where a command's model runs (generate, logprobs,
// eval, search, bench). Default "auto": cuda when this build has the CUDA backend and a GPU is
// visible, else cpu. Asking for cuda without the build or without a visible GPU is an error
// naming which is missing. Applying the option installs the device backend before any model is
// loaded (model/device_forward.h); with cpu nothing changes.
#pragma once

#include <cstddef>
#include <string>

#include "cli/options.h"

namespace t2::cli {

void add_device_option(po::options_description& desc);

// Resolves and installs the device; returns "cpu" or "cuda". Throws t2::CollectiveError for an
// unknown name or a cuda request this build or this machine cannot serve.
std::string apply_device_option(const po::variables_map& vm);

// "cuda (1 device: ...)", "cuda (no device)" or "not built (configure with -DT2_WITH_CUDA=ON)".
std::string cuda_backend_summary();

// The current device's copy bandwidth in GB/s (bytes read and written, best of `repeats` copies of
// `bytes`, cuda/kernels.h); 0 in a build without the CUDA backend.
double device_copy_bandwidth_gbs(size_t bytes, int repeats);

}  // namespace t2::cli
