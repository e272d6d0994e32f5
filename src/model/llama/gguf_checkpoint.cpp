// GGUF → engine: config from metadata, tensor names, dequantization and the q/k row order (see
// gguf_checkpoint.h).
#include "model/llama/gguf_checkpoint.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "model/weight_names.h"

namespace t2::model {

namespace {

struct LayerName {
  const char* gguf;  // after "blk.N."
  LayerTensor tensor;
};
constexpr LayerName kLayerNames[] = {
    {"attn_norm.weight", LayerTensor::attn_norm}, {"attn_q.weight", LayerTensor::q_proj},
    {"attn_k.weight", LayerTensor::k_proj},       {"attn_v.weight", LayerTensor::v_proj},
    {"attn_output.weight", LayerTensor::o_proj},  {"ffn_norm.weight", LayerTensor::ffn_norm},
    {"ffn_gate.weight", LayerTensor::gate_proj},  {"ffn_up.weight", LayerTensor::up_proj},
    {"ffn_down.weight", LayerTensor::down_proj},
};

int64_t positive(const io::GgufFile& f, const std::string& key, int64_t value) {
  T2_CHECK(value > 0, "%s: metadata '%s' is %lld, expected a positive number", f.path().c_str(),
           key.c_str(), static_cast<long long>(value));
  return value;
}

}  // namespace

LlamaConfig llama_config_from_gguf(const io::GgufFile& f) {
  const std::string& path = f.path();
  const std::string arch = f.require_string("general.architecture");
  T2_CHECK(arch == "llama",
           "%s: general.architecture is \"%s\"; t2 runs llama-architecture GGUF files (Llama 2/3, "
           "SmolLM, Mistral converted as llama)", path.c_str(), arch.c_str());
  auto key = [&](const char* k) { return arch + "." + k; };
  LlamaConfig c;
  c.architecture = "LlamaForCausalLM";
  c.model_type = "llama";
  if (auto n = f.find_int(key("expert_count")); n && *n > 0)
    T2_FAIL("%s: %s = %lld: mixture-of-experts models are not supported", path.c_str(),
            key("expert_count").c_str(), static_cast<long long>(*n));
  c.n_layer = positive(f, key("block_count"), f.require_int(key("block_count")));
  c.n_embd = positive(f, key("embedding_length"), f.require_int(key("embedding_length")));
  c.n_ff = positive(f, key("feed_forward_length"), f.require_int(key("feed_forward_length")));
  c.n_head = positive(f, key("attention.head_count"), f.require_int(key("attention.head_count")));
  c.n_head_kv = positive(f, key("attention.head_count_kv"),
                         f.find_int(key("attention.head_count_kv")).value_or(c.n_head));
  T2_CHECK(c.n_head % c.n_head_kv == 0,
           "%s: attention.head_count (%lld) must be a multiple of attention.head_count_kv (%lld)",
           path.c_str(), static_cast<long long>(c.n_head), static_cast<long long>(c.n_head_kv));
  const auto key_length = f.find_int(key("attention.key_length"));
  if (!key_length) {
    T2_CHECK(c.n_embd % c.n_head == 0, "%s: embedding_length (%lld) is not divisible by "
             "head_count (%lld) and no attention.key_length is given", path.c_str(),
             static_cast<long long>(c.n_embd), static_cast<long long>(c.n_head));
  }
  c.head_dim = key_length.value_or(c.n_embd / c.n_head);
  T2_CHECK(c.head_dim > 0 && c.head_dim % 2 == 0,
           "%s: head dimension %lld must be positive and even", path.c_str(),
           static_cast<long long>(c.head_dim));
  const int64_t value_length = f.find_int(key("attention.value_length")).value_or(c.head_dim);
  T2_CHECK(value_length == c.head_dim, "%s: attention.value_length %lld differs from key_length "
           "%lld, which Llama models never do", path.c_str(),
           static_cast<long long>(value_length), static_cast<long long>(c.head_dim));
  const int64_t rot = f.find_int(key("rope.dimension_count")).value_or(c.head_dim);
  T2_CHECK(rot == c.head_dim, "%s: rope.dimension_count %lld differs from the head dimension "
           "%lld (partial rotary embeddings are not supported)", path.c_str(),
           static_cast<long long>(rot), static_cast<long long>(c.head_dim));
  c.n_ctx_max = positive(f, key("context_length"), f.find_int(key("context_length")).value_or(2048));
  c.rms_norm_eps = f.find_float(key("attention.layer_norm_rms_epsilon")).value_or(1e-5);
  c.rope_theta = f.find_float(key("rope.freq_base")).value_or(10000.0);
  const std::string scaling = f.find_string(key("rope.scaling.type")).value_or("none");
  T2_CHECK(scaling == "none", "%s: %s = \"%s\" is not supported (supported: none, or Llama 3.1 "
           "frequency factors in rope_freqs.weight)", path.c_str(),
           key("rope.scaling.type").c_str(), scaling.c_str());
  if (const io::GgufTensor* t = f.find("rope_freqs.weight")) {
    T2_CHECK(t->type == io::GgmlType::f32 && t->shape.size() == 1 &&
                 t->shape[0] == c.head_dim / 2,
             "%s: rope_freqs.weight is %s %s, expected F32 [%lld]", path.c_str(), t->type_name(),
             t->shape_str().c_str(), static_cast<long long>(c.head_dim / 2));
    c.rope_freq_factors.resize(static_cast<size_t>(c.head_dim / 2));
    std::memcpy(c.rope_freq_factors.data(), t->data, c.rope_freq_factors.size() * sizeof(float));
  }

  const io::GgufTensor& embd = f.get("token_embd.weight");
  T2_CHECK(embd.shape.size() == 2, "%s: token_embd.weight has shape %s, expected 2 dimensions",
           path.c_str(), embd.shape_str().c_str());
  const int64_t n_tokens = f.find_kv("tokenizer.ggml.tokens")
                               ? static_cast<int64_t>(f.find_kv("tokenizer.ggml.tokens")->count)
                               : embd.shape[1];
  c.n_vocab = f.find_int(key("vocab_size")).value_or(n_tokens);
  c.tie_word_embeddings = f.find("output.weight") == nullptr;
  for (const char* k : {"tokenizer.ggml.bos_token_id"}) {
    if (auto id = f.find_int(k)) c.bos_token_ids.push_back(static_cast<int32_t>(*id));
  }
  for (const char* k : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                        "tokenizer.ggml.eom_token_id"}) {
    if (auto id = f.find_int(k)) {
      T2_CHECK(*id >= 0 && *id < c.n_vocab, "%s: %s = %lld is outside the vocabulary (%lld)",
               path.c_str(), k, static_cast<long long>(*id), static_cast<long long>(c.n_vocab));
      if (std::find(c.eos_token_ids.begin(), c.eos_token_ids.end(), *id) == c.eos_token_ids.end())
        c.eos_token_ids.push_back(static_cast<int32_t>(*id));
    }
  }
  return c;
}

std::optional<std::string> canonical_name_from_gguf(const std::string& name) {
  if (name == "token_embd.weight") return std::string(kEmbedTokensName);
  if (name == "output_norm.weight") return std::string(kFinalNormName);
  if (name == "output.weight") return std::string(kLmHeadName);
  constexpr std::string_view kBlk = "blk.";
  if (name.compare(0, kBlk.size(), kBlk) != 0) return std::nullopt;
  size_t dot = name.find('.', kBlk.size());
  if (dot == std::string::npos || dot == kBlk.size()) return std::nullopt;
  int64_t layer = 0;
  for (size_t i = kBlk.size(); i < dot; ++i) {
    if (name[i] < '0' || name[i] > '9' || layer > (int64_t(1) << 40)) return std::nullopt;
    layer = layer * 10 + (name[i] - '0');
  }
  const std::string rest = name.substr(dot + 1);
  for (const auto& ln : kLayerNames)
    if (rest == ln.gguf) return layer_tensor_name(layer, ln.tensor);
  return std::nullopt;
}

void unpermute_rope_rows(const void* src, void* dst, int64_t n_head, int64_t head_dim,
                         int64_t cols, size_t elem_bytes) {
  const size_t row_bytes = static_cast<size_t>(cols) * elem_bytes;
  const int64_t half = head_dim / 2;
  const auto* s = static_cast<const unsigned char*>(src);
  auto* d = static_cast<unsigned char*>(dst);
  for (int64_t h = 0; h < n_head; ++h) {
    for (int64_t i = 0; i < half; ++i) {
      for (int64_t part = 0; part < 2; ++part) {
        const int64_t from = h * head_dim + 2 * i + part;    // GGUF row
        const int64_t to = h * head_dim + part * half + i;  // Hugging Face row
        std::memcpy(d + to * row_bytes, s + from * row_bytes, row_bytes);
      }
    }
  }
}

GgufTensors::GgufTensors(const io::GgufFile& f, const LlamaConfig& c, tensor::DType dtype) {
  size_t n_used = 0;
  for (const auto& t : f.tensors()) n_used += canonical_name_from_gguf(t.name).has_value();
  entries_.reserve(n_used);
  buffers_.reserve(n_used);
  std::vector<float> row;
  for (const auto& t : f.tensors()) {
    auto canonical = canonical_name_from_gguf(t.name);
    if (!canonical) continue;
    T2_CHECK(t.shape.size() <= 2, "%s: tensor '%s' has shape %s; expected a vector or a matrix",
             f.path().c_str(), t.name.c_str(), t.shape_str().c_str());
    const int64_t cols = t.shape[0];
    const int64_t rows = t.shape.size() == 2 ? t.shape[1] : 1;
    const bool vector = t.shape.size() == 1;
    const tensor::DType out = vector ? tensor::DType::f32 : dtype;
    const size_t es = tensor::dtype_size(out);
    const io::GgmlTypeInfo& info = io::ggml_type_info(t.type);
    T2_CHECK(info.can_dequantize, "%s: tensor '%s' has type %s, which t2 cannot convert "
             "(supported: %s); convert the model with one of those types", f.path().c_str(),
             t.name.c_str(), info.name, io::ggml_dequantizable_types().c_str());
    std::vector<unsigned char> buf(static_cast<size_t>(rows * cols) * es);
    const size_t src_row_bytes = static_cast<size_t>(cols / info.block_size * info.type_size);
    row.resize(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      io::dequantize_row(t.type, static_cast<const unsigned char*>(t.data) + r * src_row_bytes,
                         row.data(), cols);
      tensor::convert_from_f32(row.data(), out, buf.data() + static_cast<size_t>(r * cols) * es,
                               static_cast<size_t>(cols));
    }
    // q and k rows back to rotate-half order (heads as in the config; shape checked later, so a
    // mismatching row count is left for the weight table to report).
    const auto ref = parse_layer_tensor_name(*canonical);
    if (ref && (ref->tensor == LayerTensor::q_proj || ref->tensor == LayerTensor::k_proj)) {
      const int64_t heads = ref->tensor == LayerTensor::q_proj ? c.n_head : c.n_head_kv;
      if (!vector && rows == heads * c.head_dim) {
        std::vector<unsigned char> hf(buf.size());
        unpermute_rope_rows(buf.data(), hf.data(), heads, c.head_dim, cols, es);
        buf.swap(hf);
      }
    }
    io::TensorEntry e;
    e.name = *canonical;
    e.dtype = out;
    e.shape = vector ? std::vector<int64_t>{cols} : std::vector<int64_t>{rows, cols};
    e.data = buf.data();
    e.n_bytes = buf.size();
    e.file = f.path();
    buffers_.push_back(std::move(buf));
    entries_.push_back(std::move(e));
  }
}

const io::TensorEntry* GgufTensors::find(const std::string& canonical_name) const {
  for (const auto& e : entries_)
    if (e.name == canonical_name) return &e;
  return nullptr;
}

}  // namespace t2::model
