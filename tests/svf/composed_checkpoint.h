// Test helper: the independent reference for "an expert applied to a model". It writes a copy of a
// checkpoint in which every matrix a scaling adapts is replaced by W' = U · diag(σ ⊙ z · c) · Vᵀ
// (compose_dense, itself checked against NumPy in svd_test), stored in the tensor's own dtype. The
// engine then runs that checkpoint as a plain model — no override, no adapter — so comparing its
// log-probs with an adapted run checks the whole SVF door.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "svf/compose.h"
#include "svf/svd_store.h"
#include "tensor/dtype.h"

namespace t2::test {

inline std::string write_composed_checkpoint(const std::string& fixture_dir,
                                             const svf::SvdStore& store,
                                             const svf::ScalingSet& scaling,
                                             const std::string& out) {
  namespace fs = std::filesystem;
  fs::create_directories(out);
  for (const char* f : {"config.json", "generation_config.json"})
    if (fs::exists(fs::path(fixture_dir) / f))
      fs::copy_file(fs::path(fixture_dir) / f, fs::path(out) / f,
                    fs::copy_options::overwrite_existing);
  const io::SafetensorsDir in(fixture_dir);
  io::SafetensorsWriter w;
  std::vector<std::vector<unsigned char>> keep;
  for (const std::string& name : in.names()) {
    const io::TensorEntry& e = in.get(name);
    auto z = scaling.z.find(name);
    if (z == scaling.z.end()) {
      w.add_bytes(name, e.dtype, e.shape, e.data, e.n_bytes);
      continue;
    }
    const svf::Svd svd = store.read(name);
    std::vector<float> composed(static_cast<size_t>(svd.n_out * svd.n_in));
    svf::compose_dense(svd, z->second, composed, name);
    keep.emplace_back(composed.size() * tensor::dtype_size(e.dtype));
    tensor::convert_from_f32(composed.data(), e.dtype, keep.back().data(), composed.size());
    w.add_bytes(name, e.dtype, e.shape, keep.back().data(), keep.back().size());
  }
  w.write((fs::path(out) / "model.safetensors").string());
  return out;
}

}  // namespace t2::test
