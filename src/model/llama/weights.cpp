// Weight table construction: presence and shape checks against the config, tensor-parallel shards.
#include "model/llama/weights.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "base/log.h"
#include "model/llama/gguf_checkpoint.h"

namespace t2::model {

namespace {

std::string shape_str(int64_t r, int64_t c, bool two_d) {
  return two_d ? t2::format("[%lld, %lld]", static_cast<long long>(r), static_cast<long long>(c))
               : t2::format("[%lld]", static_cast<long long>(r));
}

// Checks the entry's shape equals [rows, cols] (or [rows] for 1-D) and names everything if not.
void check_shape(const io::TensorEntry& e, int64_t rows, int64_t cols, bool two_d,
                 const char* what) {
  const bool ok = two_d ? (e.shape.size() == 2 && e.shape[0] == rows && e.shape[1] == cols)
                        : (e.shape.size() == 1 && e.shape[0] == rows);
  T2_CHECK(ok,
           "%s: tensor '%s' has shape %s but the config implies %s (%s); the checkpoint does not "
           "match its config (config.json or GGUF metadata)",
           e.file.c_str(), e.name.c_str(), e.shape_str().c_str(),
           shape_str(rows, cols, two_d).c_str(), what);
}

}  // namespace

LlamaWeights::LlamaWeights(const std::string& dir, const LlamaConfig& c, TpShard tp,
                           const StoredNameFn& stored_name) {
  files_ = std::make_unique<io::SafetensorsDir>(dir);
  if (!stored_name) {
    build([this](const std::string& n) { return files_->find(n); }, files_->names(), dir, c, tp);
    return;
  }
  // A decoder inside a larger checkpoint: its other tensors are not the decoder's to report.
  build([&](const std::string& n) { return files_->find(stored_name(n)); }, {}, dir, c, tp,
        stored_name);
}

LlamaWeights::LlamaWeights(std::shared_ptr<const io::GgufFile> file, const LlamaConfig& c,
                           TpShard tp, DType dtype)
    : gguf_(std::move(file)) {
  auto tensors = std::make_shared<GgufTensors>(*gguf_, c, dtype);
  std::vector<std::string> names;
  for (const auto& e : tensors->entries()) names.push_back(e.name);
  for (const auto& t : gguf_->tensors()) {
    if (!canonical_name_from_gguf(t.name) && t.name != "rope_freqs.weight")
      T2_LOG_DEBUG("%s: ignoring tensor '%s' (not used by the Llama decoder)",
                   gguf_->path().c_str(), t.name.c_str());
  }
  build([&](const std::string& n) { return tensors->find(n); }, names, gguf_->path(), c, tp);
  // Keep the converted buffers that the table points into (unsharded views and norms' sources).
  gguf_tensors_ = std::move(tensors);
}

void LlamaWeights::build(const Lookup& find, const std::vector<std::string>& file_names,
                         const std::string& dir, const LlamaConfig& c, TpShard tp,
                         const StoredNameFn& stored) {
  const auto stored_as = [&](const std::string& n) { return stored ? stored(n) : n; };
  T2_CHECK(tp.size >= 1 && tp.rank >= 0 && tp.rank < tp.size, "bad tensor-parallel shard %d of %d",
           tp.rank, tp.size);
  T2_CHECK(c.n_head % tp.size == 0 && c.n_head_kv % tp.size == 0 && c.n_ff % tp.size == 0,
           "tensor parallelism over %d ranks needs num_attention_heads (%lld), "
           "num_key_value_heads (%lld) and intermediate_size (%lld) divisible by %d",
           tp.size, static_cast<long long>(c.n_head), static_cast<long long>(c.n_head_kv),
           static_cast<long long>(c.n_ff), tp.size);
  auto get = [&](const std::string& name) -> const io::TensorEntry& {
    const io::TensorEntry* e = find(name);
    T2_CHECK(e != nullptr, "%s: tensor '%s' is missing from the checkpoint", dir.c_str(),
             stored_as(name).c_str());
    return *e;
  };
  weights_.reserve(static_cast<size_t>(c.n_layer) * kLayerTensorCount + 3);

  // Full, replicated tensor in file dtype (a view).
  auto view = [&](const std::string& name, int64_t rows, int64_t cols, bool two_d,
                  const char* what) -> const Weight& {
    const io::TensorEntry& e = get(name);
    check_shape(e, rows, cols, two_d, what);
    return add(Weight{name, e.dtype, rows, two_d ? cols : 1, e.data, -1});
  };
  // 1-D norm weight converted to f32.
  auto norm = [&](const std::string& name) -> const Weight& {
    const io::TensorEntry& e = get(name);
    check_shape(e, c.n_embd, 1, false, "hidden_size");
    std::vector<unsigned char> buf(static_cast<size_t>(c.n_embd) * sizeof(float));
    tensor::convert_to_f32(e.data, e.dtype, reinterpret_cast<float*>(buf.data()),
                           static_cast<size_t>(c.n_embd));
    owned_.push_back(std::move(buf));
    return add(Weight{name, DType::f32, c.n_embd, 1, owned_.back().data(), -1});
  };
  // Column-parallel: rows [rank * rows/size, ...) of a [rows, cols] matrix; a view.
  auto col_parallel = [&](const std::string& name, int64_t rows, int64_t cols,
                          const char* what) -> const Weight& {
    const io::TensorEntry& e = get(name);
    check_shape(e, rows, cols, true, what);
    const int64_t local = rows / tp.size;
    const auto* base = static_cast<const unsigned char*>(e.data);
    const size_t row_bytes = static_cast<size_t>(cols) * tensor::dtype_size(e.dtype);
    return add(Weight{name, e.dtype, local, cols, base + tp.rank * local * row_bytes, -1});
  };
  // Row-parallel: columns [rank * cols/size, ...) of a [rows, cols] matrix; copied when sharded.
  auto row_parallel = [&](const std::string& name, int64_t rows, int64_t cols,
                          const char* what) -> const Weight& {
    if (tp.size == 1) return view(name, rows, cols, true, what);
    const io::TensorEntry& e = get(name);
    check_shape(e, rows, cols, true, what);
    const int64_t local = cols / tp.size;
    const size_t es = tensor::dtype_size(e.dtype);
    std::vector<unsigned char> buf(static_cast<size_t>(rows * local) * es);
    const auto* src = static_cast<const unsigned char*>(e.data);
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(buf.data() + r * local * es, src + (r * cols + tp.rank * local) * es, local * es);
    }
    owned_.push_back(std::move(buf));
    return add(Weight{name, e.dtype, rows, local, owned_.back().data(), -1});
  };

  embed_ = &view(std::string(kEmbedTokensName), c.n_vocab, c.n_embd, true,
                 "[vocab_size, hidden_size]");
  layers_.resize(c.n_layer);
  for (int64_t l = 0; l < c.n_layer; ++l) {
    auto name = [&](LayerTensor t) { return layer_tensor_name(l, t); };
    auto& L = layers_[l].t;
    auto at = [](LayerTensor t) { return static_cast<int>(t); };
    L[at(LayerTensor::attn_norm)] = &norm(name(LayerTensor::attn_norm));
    L[at(LayerTensor::q_proj)] = &col_parallel(name(LayerTensor::q_proj), c.q_dim(), c.n_embd,
                                               "[num_attention_heads * head_dim, hidden_size]");
    L[at(LayerTensor::k_proj)] = &col_parallel(name(LayerTensor::k_proj), c.kv_dim(), c.n_embd,
                                               "[num_key_value_heads * head_dim, hidden_size]");
    L[at(LayerTensor::v_proj)] = &col_parallel(name(LayerTensor::v_proj), c.kv_dim(), c.n_embd,
                                               "[num_key_value_heads * head_dim, hidden_size]");
    L[at(LayerTensor::o_proj)] = &row_parallel(name(LayerTensor::o_proj), c.n_embd, c.q_dim(),
                                               "[hidden_size, num_attention_heads * head_dim]");
    L[at(LayerTensor::ffn_norm)] = &norm(name(LayerTensor::ffn_norm));
    L[at(LayerTensor::gate_proj)] = &col_parallel(name(LayerTensor::gate_proj), c.n_ff, c.n_embd,
                                                  "[intermediate_size, hidden_size]");
    L[at(LayerTensor::up_proj)] = &col_parallel(name(LayerTensor::up_proj), c.n_ff, c.n_embd,
                                                "[intermediate_size, hidden_size]");
    L[at(LayerTensor::down_proj)] = &row_parallel(name(LayerTensor::down_proj), c.n_embd, c.n_ff,
                                                  "[hidden_size, intermediate_size]");
  }
  final_norm_ = &norm(std::string(kFinalNormName));
  if (c.tie_word_embeddings) {
    lm_head_ = embed_;
  } else {
    T2_CHECK(find(std::string(kLmHeadName)) != nullptr,
             "%s: tensor '%s' is missing and config.json has tie_word_embeddings false (set it to "
             "true if the head shares the embedding table)",
             dir.c_str(), stored_as(std::string(kLmHeadName)).c_str());
    lm_head_ = &view(std::string(kLmHeadName), c.n_vocab, c.n_embd, true,
                     "[vocab_size, hidden_size]");
  }
  for (const auto& n : file_names) {
    if (!by_name_.count(n) && n != kLmHeadName)
      T2_LOG_DEBUG("%s: ignoring tensor '%s' (not used by the Llama decoder)", dir.c_str(), n.c_str());
  }
}

const Weight& LlamaWeights::add(Weight w) {
  T2_ASSERT(weights_.size() < weights_.capacity());
  w.index = static_cast<int32_t>(weights_.size());
  by_name_[w.name] = w.index;
  weights_.push_back(std::move(w));
  return weights_.back();
}

const Weight* LlamaWeights::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &weights_[it->second];
}

const Weight& LlamaWeights::get(const std::string& name) const {
  const Weight* w = find(name);
  T2_CHECK(w != nullptr, "no weight named '%s' in the model (expected a canonical Hugging Face "
           "name such as model.layers.0.mlp.gate_proj.weight)", name.c_str());
  return *w;
}

const io::SafetensorsDir& LlamaWeights::files() const {
  T2_CHECK(files_ != nullptr, "%s is a GGUF checkpoint, not a Hugging Face safetensors directory; "
           "SVF decomposition, experts and training do not take GGUF files yet: use the model's "
           "Hugging Face directory for them",
           gguf_ ? gguf_->path().c_str() : "?");
  return *files_;
}

std::vector<TensorDesc> LlamaWeights::stored_tensors() const {
  std::vector<TensorDesc> out;
  if (files_) {
    for (const auto& name : files_->names()) {
      const io::TensorEntry& e = files_->get(name);
      out.push_back({e.name, io::safetensors_dtype_name(e.dtype), e.shape, e.data, e.n_bytes});
    }
  } else {
    for (const auto& t : gguf_->tensors())
      out.push_back({t.name, t.type_name(), t.shape, t.data, t.n_bytes});
    std::sort(out.begin(), out.end(),
              [](const TensorDesc& a, const TensorDesc& b) { return a.name < b.name; });
  }
  return out;
}

size_t LlamaWeights::weight_bytes() const {
  size_t n = 0;
  for (const auto& w : weights_) n += w.n_bytes();
  return n;
}

}  // namespace t2::model
