// Random Llama checkpoints (see random_checkpoint.h).
#include "model/random_checkpoint.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/error.h"
#include "base/rng.h"
#include "io/file.h"
#include "io/safetensors.h"
#include "model/llama/config.h"
#include "model/weight_names.h"
#include "tensor/ops.h"  // parallel_for

namespace t2::model {

namespace {

constexpr int64_t kChunk = 1 << 20;  // elements per random stream

// Fills dst (n elements of dtype) with N(0, std²) (std > 0) or with 1 (std == 0).
void fill_tensor(void* dst, tensor::DType dtype, int64_t n, double std, uint64_t seed,
                 uint64_t tensor_index) {
  const int64_t n_chunks = (n + kChunk - 1) / kChunk;
  const size_t es = tensor::dtype_size(dtype);
  tensor::parallel_for(n_chunks, [&](int64_t j) {
    const int64_t begin = j * kChunk, len = std::min(kChunk, n - begin);
    std::vector<float> buf(static_cast<size_t>(len));
    if (std == 0.0) {
      std::fill(buf.begin(), buf.end(), 1.0f);
    } else {
      Rng rng = Rng::stream(seed, (tensor_index << 20) + static_cast<uint64_t>(j), RngPurpose::init);
      for (float& x : buf) x = static_cast<float>(rng.normal() * std);
    }
    tensor::convert_from_f32(buf.data(), dtype, static_cast<char*>(dst) + begin * es,
                             static_cast<size_t>(len));
  });
}

}  // namespace

size_t write_random_checkpoint(const std::string& config_json, const std::string& out_dir,
                               const RandomCheckpointOptions& opt) {
  namespace fs = std::filesystem;
  const LlamaConfig c = parse_llama_config(config_json, "config");
  nlohmann::json j = nlohmann::json::parse(config_json);
  const double std = j.contains("initializer_range") && j["initializer_range"].is_number()
                         ? j["initializer_range"].get<double>() : 0.02;
  T2_CHECK(std > 0, "initializer_range must be positive, got %g", std);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  T2_CHECK(!ec && fs::is_directory(out_dir), "cannot create output directory %s: %s",
           out_dir.c_str(), ec.message().c_str());

  io::SafetensorsWriter w;
  uint64_t index = 0;
  size_t total = 0;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, double s) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    const uint64_t ti = index++;
    total += static_cast<size_t>(n) * tensor::dtype_size(opt.dtype);
    w.add(name, opt.dtype, std::move(shape), [=, dtype = opt.dtype, seed = opt.seed](void* dst, size_t) {
      fill_tensor(dst, dtype, n, s, seed, ti);
    });
  };
  add(std::string(kEmbedTokensName), {c.n_vocab, c.n_embd}, std);
  for (int64_t l = 0; l < c.n_layer; ++l) {
    add(layer_tensor_name(l, LayerTensor::attn_norm), {c.n_embd}, 0.0);
    add(layer_tensor_name(l, LayerTensor::q_proj), {c.q_dim(), c.n_embd}, std);
    add(layer_tensor_name(l, LayerTensor::k_proj), {c.kv_dim(), c.n_embd}, std);
    add(layer_tensor_name(l, LayerTensor::v_proj), {c.kv_dim(), c.n_embd}, std);
    add(layer_tensor_name(l, LayerTensor::o_proj), {c.n_embd, c.q_dim()}, std);
    add(layer_tensor_name(l, LayerTensor::ffn_norm), {c.n_embd}, 0.0);
    add(layer_tensor_name(l, LayerTensor::gate_proj), {c.n_ff, c.n_embd}, std);
    add(layer_tensor_name(l, LayerTensor::up_proj), {c.n_ff, c.n_embd}, std);
    add(layer_tensor_name(l, LayerTensor::down_proj), {c.n_embd, c.n_ff}, std);
  }
  add(std::string(kFinalNormName), {c.n_embd}, 0.0);
  if (!c.tie_word_embeddings) add(std::string(kLmHeadName), {c.n_vocab, c.n_embd}, std);
  w.set_metadata("format", "pt");
  w.write((fs::path(out_dir) / "model.safetensors").string());

  j["torch_dtype"] = opt.dtype == tensor::DType::bf16 ? "bfloat16"
                     : opt.dtype == tensor::DType::f16 ? "float16" : "float32";
  if (j.contains("dtype")) j["dtype"] = j["torch_dtype"];
  io::write_file_atomic((fs::path(out_dir) / "config.json").string(), j.dump(2) + "\n");
  return total;
}

}  // namespace t2::model
