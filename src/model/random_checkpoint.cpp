// Random Llama checkpoints (see random_checkpoint.h).
#include "model/random_checkpoint.h"

#include <sys/statvfs.h>
#include <unistd.h>

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

std::string human_bytes(double b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  while (b >= 1000 && u < 6) b /= 1000, ++u;
  return format("%.1f %s", b, units[u]);
}

// Element counts (overflow-checked) of every planned tensor, then the two limits a checkpoint
// must fit: the largest tensor is filled in memory at once, and the file must fit the disk.
// Returns the total bytes of weights.
template <class Planned>
size_t check_sizes(std::vector<Planned>& plan, size_t elem_size, const std::string& out_dir) {
  namespace fs = std::filesystem;
  constexpr double kMaxBytes = 9.0e18;  // beyond, byte offsets overflow
  double total = 0, largest = 0;
  const Planned* big = nullptr;
  for (auto& p : plan) {
    double n = 1;
    for (int64_t d : p.shape) n *= static_cast<double>(d);
    const double bytes = n * static_cast<double>(elem_size);
    T2_CHECK(bytes < kMaxBytes, "tensor %s would hold %.3g bytes; check the config's sizes",
             p.name.c_str(), bytes);
    p.n = static_cast<int64_t>(n);
    total += bytes;
    if (bytes > largest) largest = bytes, big = &p;
  }
  T2_CHECK(total < kMaxBytes, "the checkpoint would hold %.3g bytes; check the config's sizes", total);
  const double memory = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) *
                        static_cast<double>(::sysconf(_SC_PAGE_SIZE));
  T2_CHECK(memory <= 0 || largest <= memory,
           "tensor %s needs %s in memory at once, more than this machine has (%s); check the "
           "config's sizes (vocab_size, hidden_size, intermediate_size)", big->name.c_str(),
           human_bytes(largest).c_str(), human_bytes(memory).c_str());
  fs::path probe = fs::absolute(out_dir);
  while (!probe.empty() && !fs::exists(probe) && probe != probe.parent_path()) probe = probe.parent_path();
  struct statvfs st {};
  if (::statvfs(probe.c_str(), &st) == 0) {
    const double free = static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
    T2_CHECK(total <= free, "the checkpoint needs %s of weights but %s has %s free; choose "
             "another --out or smaller sizes", human_bytes(total).c_str(), probe.c_str(),
             human_bytes(free).c_str());
  }
  return static_cast<size_t>(total);
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

  // The tensors first, so that sizes are checked before anything is created.
  struct Planned {
    std::string name;
    std::vector<int64_t> shape;
    double std;
    int64_t n = 0;
  };
  std::vector<Planned> plan;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, double s) {
    plan.push_back({name, std::move(shape), s});
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
  const size_t total = check_sizes(plan, tensor::dtype_size(opt.dtype), out_dir);

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  T2_CHECK(!ec && fs::is_directory(out_dir), "cannot create output directory %s: %s",
           out_dir.c_str(), ec.message().c_str());
  io::SafetensorsWriter w;
  for (size_t ti = 0; ti < plan.size(); ++ti) {
    const Planned& p = plan[ti];
    w.add(p.name, opt.dtype, p.shape,
          [n = p.n, s = p.std, ti, dtype = opt.dtype, seed = opt.seed](void* dst, size_t) {
            fill_tensor(dst, dtype, n, s, seed, ti);
          });
  }
  w.set_metadata("format", "pt");
  w.write((fs::path(out_dir) / "model.safetensors").string());

  j["torch_dtype"] = opt.dtype == tensor::DType::bf16 ? "bfloat16"
                     : opt.dtype == tensor::DType::f16 ? "float16" : "float32";
  if (j.contains("dtype")) j["dtype"] = j["torch_dtype"];
  io::write_file_atomic((fs::path(out_dir) / "config.json").string(), j.dump(2) + "\n");
  return total;
}

}  // namespace t2::model
