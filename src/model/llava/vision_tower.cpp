// CLIP vision tower forward (see vision_tower.h). Shapes: T = tiles, N = tokens per tile
// (patches + 1), R = T·N rows, D = hidden size, F = intermediate size, p = patch size, g = grid.
#include "model/llava/vision_tower.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/error.h"
#include "model/llava/vision_ops.h"
#include "tensor/ops.h"  // linear, add

namespace t2::model::llava {

VisionTower::VisionTower(const TensorReader& r, const VisionConfig& c, int64_t n_layers_used)
    : config_(c) {
  T2_CHECK(n_layers_used >= 0 && n_layers_used <= c.n_layer,
           "vision tower: %lld layers requested of %lld", static_cast<long long>(n_layers_used),
           static_cast<long long>(c.n_layer));
  const int64_t D = c.n_embd, F = c.n_ff, p = c.patch_size;
  patch_embed_ = r.matrix("embeddings.patch_embedding.weight", {D, 3, p, p},
                          "[hidden_size, 3, patch_size, patch_size]");
  class_embed_ = r.floats("embeddings.class_embedding", {D}, "[hidden_size]");
  pos_embed_ = r.floats("embeddings.position_embedding.weight", {c.n_positions(), D},
                        "[(image_size / patch_size)^2 + 1, hidden_size]");
  pre_ln_w_ = r.floats("pre_layrnorm.weight", {D}, "[hidden_size]");
  pre_ln_b_ = r.floats("pre_layrnorm.bias", {D}, "[hidden_size]");
  layers_.resize(static_cast<size_t>(n_layers_used));
  for (int64_t l = 0; l < n_layers_used; ++l) {
    const std::string pre = "encoder.layers." + std::to_string(l) + ".";
    Layer& L = layers_[l];
    const char* dd = "[hidden_size, hidden_size]";
    L.q = r.matrix(pre + "self_attn.q_proj.weight", {D, D}, dd);
    L.k = r.matrix(pre + "self_attn.k_proj.weight", {D, D}, dd);
    L.v = r.matrix(pre + "self_attn.v_proj.weight", {D, D}, dd);
    L.o = r.matrix(pre + "self_attn.out_proj.weight", {D, D}, dd);
    L.fc1 = r.matrix(pre + "mlp.fc1.weight", {F, D}, "[intermediate_size, hidden_size]");
    L.fc2 = r.matrix(pre + "mlp.fc2.weight", {D, F}, "[hidden_size, intermediate_size]");
    L.bq = r.floats(pre + "self_attn.q_proj.bias", {D}, "[hidden_size]");
    L.bk = r.floats(pre + "self_attn.k_proj.bias", {D}, "[hidden_size]");
    L.bv = r.floats(pre + "self_attn.v_proj.bias", {D}, "[hidden_size]");
    L.bo = r.floats(pre + "self_attn.out_proj.bias", {D}, "[hidden_size]");
    L.b1 = r.floats(pre + "mlp.fc1.bias", {F}, "[intermediate_size]");
    L.b2 = r.floats(pre + "mlp.fc2.bias", {D}, "[hidden_size]");
    L.ln1_w = r.floats(pre + "layer_norm1.weight", {D}, "[hidden_size]");
    L.ln1_b = r.floats(pre + "layer_norm1.bias", {D}, "[hidden_size]");
    L.ln2_w = r.floats(pre + "layer_norm2.weight", {D}, "[hidden_size]");
    L.ln2_b = r.floats(pre + "layer_norm2.bias", {D}, "[hidden_size]");
  }
}

size_t VisionTower::weight_bytes() const {
  size_t n = patch_embed_.n_bytes() + (class_embed_.size() + pos_embed_.size() + 2 * pre_ln_w_.size()) * 4;
  for (const Layer& L : layers_) {
    n += L.q.n_bytes() + L.k.n_bytes() + L.v.n_bytes() + L.o.n_bytes() + L.fc1.n_bytes() + L.fc2.n_bytes();
    n += (L.bq.size() * 6 + L.b1.size() + L.ln1_w.size() * 3) * 4;
  }
  return n;
}

void VisionTower::forward(const float* pixels, int64_t T, std::span<const int64_t> layers,
                          bool keep_class, float* out) const {
  const VisionConfig& c = config_;
  const int64_t D = c.n_embd, F = c.n_ff, p = c.patch_size, g = c.grid(), S = c.image_size;
  const int64_t N = c.n_positions(), R = T * N, P = c.patch_dim();
  const auto L_used = static_cast<int64_t>(layers_.size());
  T2_CHECK(!layers.empty(), "vision tower: no hidden state selected");
  for (int64_t k : layers)
    T2_CHECK(k >= 0 && k <= L_used, "vision tower: hidden state %lld requested but only %lld "
             "layers were loaded", static_cast<long long>(k), static_cast<long long>(L_used));
  const auto n_sel = static_cast<int64_t>(layers.size());
  const int64_t n_out = keep_class ? N : N - 1;
  const int64_t width = D * n_sel;  // of one output row
  auto emit = [&](int64_t state, const float* x) {
    for (int64_t s = 0; s < n_sel; ++s) {
      if (layers[s] != state) continue;
      for (int64_t t = 0; t < T; ++t)
        for (int64_t i = 0; i < n_out; ++i)
          std::memcpy(out + (t * n_out + i) * width + s * D,
                      x + (t * N + i + (keep_class ? 0 : 1)) * D, static_cast<size_t>(D) * 4);
    }
  };

  // Patch embedding: unfold every tile into g² rows of (channel, ky, kx) and multiply.
  std::vector<float> patches(static_cast<size_t>(T * g * g * P));  // [T·g², 3 p²]
  for (int64_t t = 0; t < T; ++t)
    for (int64_t py = 0; py < g; ++py)
      for (int64_t px = 0; px < g; ++px) {
        float* dst = patches.data() + ((t * g + py) * g + px) * P;
        for (int64_t ch = 0; ch < 3; ++ch)
          for (int64_t ky = 0; ky < p; ++ky)
            std::memcpy(dst + (ch * p + ky) * p,
                        pixels + ((t * 3 + ch) * S + py * p + ky) * S + px * p,
                        static_cast<size_t>(p) * 4);
      }
  std::vector<float> pe(static_cast<size_t>(T * g * g * D));  // [T·g², D]
  tensor::linear(patches.data(), patch_embed_.data, patch_embed_.dtype, pe.data(), T * g * g, D, P);
  patches = {};
  std::vector<float> x(static_cast<size_t>(R * D));  // [R, D] residual stream
  for (int64_t t = 0; t < T; ++t) {
    float* xt = x.data() + t * N * D;
    std::copy(class_embed_.begin(), class_embed_.end(), xt);
    std::memcpy(xt + D, pe.data() + t * g * g * D, static_cast<size_t>(g * g * D) * 4);
    tensor::add(xt, pos_embed_.data(), xt, N * D);
  }
  pe = {};
  const float eps = static_cast<float>(c.layer_norm_eps);
  layer_norm(x.data(), pre_ln_w_.data(), pre_ln_b_.data(), x.data(), R, D, eps);
  emit(0, x.data());

  std::vector<float> h(static_cast<size_t>(R * D)), q(h.size()), k(h.size()), v(h.size()), a(h.size());
  std::vector<float> ff(static_cast<size_t>(R * F));  // [R, F]
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim()));
  // bf16 keys/values for bf16 weights at the fast level (as the decoder's KV cache), else f32.
  const tensor::DType kv_dtype = tensor::kernel_level() == tensor::KernelLevel::fast &&
                                         !layers_.empty() && layers_[0].q.dtype == tensor::DType::bf16
                                     ? tensor::DType::bf16 : tensor::DType::f32;
  auto proj = [&](const Weight& w, const std::vector<float>& b, const float* in, float* y, int64_t n_in) {
    tensor::linear(in, w.data, w.dtype, y, R, w.rows, n_in);
    add_bias(y, b.data(), R, w.rows);
  };
  const int64_t last = *std::max_element(layers.begin(), layers.end());
  for (int64_t l = 0; l < last; ++l) {
    const Layer& Lw = layers_[l];
    layer_norm(x.data(), Lw.ln1_w.data(), Lw.ln1_b.data(), h.data(), R, D, eps);
    proj(Lw.q, Lw.bq, h.data(), q.data(), D);
    proj(Lw.k, Lw.bk, h.data(), k.data(), D);
    proj(Lw.v, Lw.bv, h.data(), v.data(), D);
    bidirectional_attention(q.data(), k.data(), v.data(), a.data(), T, N, c.n_head, c.head_dim(),
                            scale, kv_dtype);
    proj(Lw.o, Lw.bo, a.data(), h.data(), D);
    tensor::add(x.data(), h.data(), x.data(), R * D);
    layer_norm(x.data(), Lw.ln2_w.data(), Lw.ln2_b.data(), h.data(), R, D, eps);
    proj(Lw.fc1, Lw.b1, h.data(), ff.data(), D);
    activate(ff.data(), R * F, c.act);
    proj(Lw.fc2, Lw.b2, ff.data(), h.data(), F);
    tensor::add(x.data(), h.data(), x.data(), R * D);
    emit(l + 1, x.data());
  }
}

}  // namespace t2::model::llava
