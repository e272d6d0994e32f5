// Adapted-matrix selection and the safetensors-backed WeightSource.
#include "svf/checkpoint.h"

#include <filesystem>
#include <memory>

#include "base/error.h"
#include "model/llama/config.h"
#include "model/llama/model.h"
#include "model/llava/checkpoint.h"  // decoder_layout
#include "model/weight_names.h"
#include "model/fingerprint.h"
#include "tensor/dtype.h"

namespace t2::svf {

MatrixSet parse_matrix_set(const std::string& text) {
  if (text == "mlp") return MatrixSet::mlp;
  if (text == "attn") return MatrixSet::attn;
  if (text == "all") return MatrixSet::all;
  T2_FAIL("--matrices must be mlp, attn or all, got '%s'", text.c_str());
}

const char* matrix_set_name(MatrixSet set) {
  switch (set) {
    case MatrixSet::mlp: return "mlp";
    case MatrixSet::attn: return "attn";
    case MatrixSet::all: return "all";
  }
  return "?";
}

std::vector<std::string> adapted_matrix_names(int64_t n_layer, MatrixSet set) {
  using model::LayerTensor;
  std::vector<LayerTensor> kinds;
  if (set != MatrixSet::mlp) {
    kinds.insert(kinds.end(), {LayerTensor::q_proj, LayerTensor::k_proj, LayerTensor::v_proj,
                               LayerTensor::o_proj});
  }
  if (set != MatrixSet::attn) {
    kinds.insert(kinds.end(), {LayerTensor::gate_proj, LayerTensor::up_proj,
                               LayerTensor::down_proj});
  }
  std::vector<std::string> names;
  for (int64_t l = 0; l < n_layer; ++l)
    for (auto k : kinds) names.push_back(model::layer_tensor_name(l, k));
  return names;
}

WeightSource weight_source_from_dir(const std::string& dir, MatrixSet set) {
  if (std::filesystem::is_regular_file(dir)) {
    // A GGUF file: its matrices dequantized to f32 by the model loader.
    model::LoadOptions lo;
    lo.gguf_dtype = tensor::DType::f32;
    std::shared_ptr<const model::LlamaModel> m = model::LlamaModel::load(dir, lo);
    WeightSource src;
    src.names = adapted_matrix_names(m->config().n_layer, set);
    src.fingerprint = model::checkpoint_fingerprint(m->weights());
    src.model_id = dir;
    src.load = [m](const std::string& name) {
      const model::Weight& w = m->weights().get(name);
      const auto* p = static_cast<const float*>(w.data);
      return WeightMatrix{std::vector<float>(p, p + w.rows * w.cols), w.rows, w.cols, "F32"};
    };
    return src;
  }
  // A Llama folder, or a LLaVA-NeXT one whose language model's matrices are read under their
  // stored names (the store keeps the canonical ones).
  const model::llava::DecoderLayout layout = model::llava::decoder_layout(dir);
  auto files = std::make_shared<io::SafetensorsDir>(dir);
  WeightSource src;
  src.names = adapted_matrix_names(layout.config.n_layer, set);
  for (const auto& n : src.names) {
    const io::TensorEntry& e = files->get(layout.stored_name(n));  // throws naming dir and tensor
    T2_CHECK(e.shape.size() == 2, "tensor '%s' in '%s' has shape %s; expected a matrix",
             layout.stored_name(n).c_str(), dir.c_str(), e.shape_str().c_str());
  }
  src.fingerprint = model::checkpoint_fingerprint(*files);
  src.model_id = dir;
  src.load = [files, stored = layout.stored_name](const std::string& name) {
    const io::TensorEntry& e = files->get(stored(name));
    WeightMatrix w;
    w.n_out = e.shape[0];
    w.n_in = e.shape[1];
    w.dtype = io::safetensors_dtype_name(e.dtype);
    w.data.resize(static_cast<size_t>(e.n_elements()));
    tensor::convert_to_f32(e.data, e.dtype, w.data.data(), w.data.size());
    return w;
  };
  return src;
}

}  // namespace t2::svf
