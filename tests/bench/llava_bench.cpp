// LLaVA-NeXT vision pass vs language-model prefill on the CPU. Writes a random-weight LLaVA-NeXT
// checkpoint with the real vision side (CLIP ViT-L/14 at 336 px, 24 layers, the 1024 → d → d
// projector) and a language model of chosen shape (default: Llama-3-8B layers, --lm-layers of
// them, since 32 of them do not fit a small machine), then measures
//   - the vision tower + projector per 336 x 336 tile (what a tile costs),
//   - whole images of 336 x 336 (preprocessing + 3 tiles, as LLaVA-NeXT's default grid cuts such an
//     image into a base tile and two grid tiles, + packing) in images/s,
//   - the language model's prefill of that image's prompt (image features + a short question), in
//     tokens/s (and per layer, so the full depth can be estimated),
// at --threads threads, --repeats times each, the three phases interleaved within every repeat
// (medians of wall and CPU seconds; the load average is printed with them). Output: one JSON
// object.
// Build: cmake --build build --target t2_bench_llava; run: build/tests/bench/t2_bench_llava.
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>  // getloadavg
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/rng.h"
#include "io/file.h"
#include "io/safetensors.h"
#include "model/generate.h"
#include "model/llava/model.h"
#include "model/run_context.h"

using namespace t2;
namespace fs = std::filesystem;

namespace {

struct Shape {
  int64_t lm_hidden = 4096, lm_ff = 14336, lm_layers = 2, lm_heads = 32, lm_kv = 8, vocab = 128320;
  int64_t v_hidden = 1024, v_ff = 4096, v_layers = 24, v_heads = 16;
};

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds of the process (all threads): on a shared machine wall time includes waiting for a
// core; CPU time shows the work done.
double cpu_now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Random bf16 tensor (uniform in ±a; norms are 1). Deterministic per tensor index.
void add(io::SafetensorsWriter& w, const std::string& name, std::vector<int64_t> shape, float a, uint64_t idx) {
  w.add(name, tensor::DType::bf16, std::move(shape), [a, idx](void* dst, size_t bytes) {
    Rng rng = Rng::stream(7, idx, RngPurpose::init);
    auto* p = static_cast<uint16_t*>(dst);
    for (size_t i = 0; i < bytes / 2; ++i)
      p[i] = tensor::f32_to_bf16(a == 0 ? 1.0f : static_cast<float>((rng.uniform() * 2 - 1) * a));
  });
}

void write_checkpoint(const Shape& s, const fs::path& dir) {
  fs::create_directories(dir);
  io::SafetensorsWriter w;
  uint64_t k = 0;
  const int64_t D = s.lm_hidden, hd = D / s.lm_heads, kv = s.lm_kv * hd;
  add(w, "language_model.model.embed_tokens.weight", {s.vocab, D}, 0.02f, k++);
  add(w, "language_model.lm_head.weight", {s.vocab, D}, 0.02f, k++);
  add(w, "language_model.model.norm.weight", {D}, 0, k++);
  for (int64_t l = 0; l < s.lm_layers; ++l) {
    const std::string p = "language_model.model.layers." + std::to_string(l) + ".";
    add(w, p + "input_layernorm.weight", {D}, 0, k++);
    add(w, p + "post_attention_layernorm.weight", {D}, 0, k++);
    add(w, p + "self_attn.q_proj.weight", {D, D}, 0.02f, k++);
    add(w, p + "self_attn.k_proj.weight", {kv, D}, 0.02f, k++);
    add(w, p + "self_attn.v_proj.weight", {kv, D}, 0.02f, k++);
    add(w, p + "self_attn.o_proj.weight", {D, D}, 0.02f, k++);
    add(w, p + "mlp.gate_proj.weight", {s.lm_ff, D}, 0.02f, k++);
    add(w, p + "mlp.up_proj.weight", {s.lm_ff, D}, 0.02f, k++);
    add(w, p + "mlp.down_proj.weight", {D, s.lm_ff}, 0.02f, k++);
  }
  const int64_t V = s.v_hidden, F = s.v_ff;
  const std::string v = "vision_tower.vision_model.";
  add(w, v + "embeddings.class_embedding", {V}, 0.02f, k++);
  add(w, v + "embeddings.patch_embedding.weight", {V, 3, 14, 14}, 0.02f, k++);
  add(w, v + "embeddings.position_embedding.weight", {577, V}, 0.02f, k++);
  add(w, v + "pre_layrnorm.weight", {V}, 0, k++);
  add(w, v + "pre_layrnorm.bias", {V}, 0.01f, k++);
  for (int64_t l = 0; l < s.v_layers; ++l) {
    const std::string p = v + "encoder.layers." + std::to_string(l) + ".";
    for (const char* n : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      add(w, p + "self_attn." + n + ".weight", {V, V}, 0.02f, k++);
      add(w, p + "self_attn." + n + ".bias", {V}, 0.01f, k++);
    }
    add(w, p + "mlp.fc1.weight", {F, V}, 0.02f, k++);
    add(w, p + "mlp.fc1.bias", {F}, 0.01f, k++);
    add(w, p + "mlp.fc2.weight", {V, F}, 0.02f, k++);
    add(w, p + "mlp.fc2.bias", {V}, 0.01f, k++);
    for (const char* n : {"layer_norm1", "layer_norm2"}) {
      add(w, p + n + ".weight", {V}, 0, k++);
      add(w, p + n + ".bias", {V}, 0.01f, k++);
    }
  }
  add(w, "multi_modal_projector.linear_1.weight", {D, V}, 0.02f, k++);
  add(w, "multi_modal_projector.linear_1.bias", {D}, 0.01f, k++);
  add(w, "multi_modal_projector.linear_2.weight", {D, D}, 0.02f, k++);
  add(w, "multi_modal_projector.linear_2.bias", {D}, 0.01f, k++);
  add(w, "image_newline", {D}, 0.02f, k++);
  w.write((dir / "model.safetensors").string());
  const nlohmann::json cfg = {
      {"architectures", {"LlavaNextForConditionalGeneration"}}, {"model_type", "llava_next"},
      {"image_token_index", 128256}, {"vision_feature_layer", -2},
      {"text_config", {{"model_type", "llama"}, {"hidden_size", D}, {"intermediate_size", s.lm_ff},
                       {"num_hidden_layers", s.lm_layers}, {"num_attention_heads", s.lm_heads},
                       {"num_key_value_heads", s.lm_kv}, {"vocab_size", s.vocab},
                       {"max_position_embeddings", 8192}, {"rope_theta", 500000.0}}},
      {"vision_config", {{"model_type", "clip_vision_model"}, {"hidden_size", V}, {"intermediate_size", F},
                         {"num_hidden_layers", s.v_layers}, {"num_attention_heads", s.v_heads},
                         {"image_size", 336}, {"patch_size", 14}}}};
  io::write_file_atomic((dir / "config.json").string(), cfg.dump(1));
}

}  // namespace

int main(int argc, char** argv) {
  Shape s;
  int threads = 2, repeats = 3;
  std::string dir = (fs::temp_directory_path() / "t2_bench_llava").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const int64_t v = std::atoll(argv[i + 1]);
    if (a == "--threads") threads = static_cast<int>(v);
    else if (a == "--repeats") repeats = static_cast<int>(v);
    else if (a == "--lm-layers") s.lm_layers = v;
    else if (a == "--lm-hidden") s.lm_hidden = v;
    else if (a == "--lm-ff") s.lm_ff = v;
    else if (a == "--lm-heads") s.lm_heads = v;
    else if (a == "--lm-kv-heads") s.lm_kv = v;
    else if (a == "--dir") dir = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: t2_bench_llava [--threads N] [--repeats R] [--lm-layers L] "
                           "[--lm-hidden D] [--lm-ff F] [--lm-heads H] [--lm-kv-heads K] [--dir D]\n");
      return 2;
    }
  }
  omp_set_num_threads(threads);
  if (!fs::exists(fs::path(dir) / "config.json")) write_checkpoint(s, dir);
  auto m = model::llava::LlavaModel::load(dir);

  // A 336 x 336 noise image.
  io::Image img;
  img.width = img.height = 336;
  img.rgb.resize(336 * 336 * 3);
  Rng rng(3);
  for (auto& b : img.rgb) b = static_cast<uint8_t>(rng.below(256));
  const auto px = model::llava::preprocess_image(img, m->config().image);

  std::vector<double> tile_s, image_s, prefill_s, tile_cpu, image_cpu, prefill_cpu;
  double load_before[1] = {0}, load_after[1] = {0};  // 1-minute load averages
  getloadavg(load_before, 1);
  model::llava::PixelValues one = px;
  one.n_tiles = 1;
  one.data.resize(3 * 336 * 336);
  // The prompt: BOS, the image's features, a 16-token question.
  std::vector<int32_t> ids = {128000, 128256};
  for (int i = 0; i < 16; ++i) ids.push_back(1000 + i);
  const auto prompt = m->expand_prompt(ids, {m->encode_image(img)});
  const int64_t n_image_tokens = prompt.embeds.front().n;
  model::RunContext ctx(m->language_model());
  // Interleaved: every repeat times a tile, a whole image and the prefill back to back, so that
  // the machine's load (shared cores) weighs on the three phases alike.
  for (int r = 0; r < repeats; ++r) {
    double t0 = now(), c0 = cpu_now();
    m->encode_tiles(one);
    tile_s.push_back(now() - t0);
    tile_cpu.push_back(cpu_now() - c0);
    t0 = now(), c0 = cpu_now();
    m->encode_image(img);
    image_s.push_back(now() - t0);
    image_cpu.push_back(cpu_now() - c0);
    ctx.clear_all();
    const int32_t slot = ctx.add_sequence(static_cast<int64_t>(prompt.ids.size()));
    std::vector<model::SeqChunk> batch{{slot, prompt.ids, model::OutputRows::last, prompt.embeds}};
    t0 = now(), c0 = cpu_now();
    const int64_t n = m->language_model()->forward(ctx, batch);
    m->language_model()->logits(ctx, 0, n);
    prefill_s.push_back(now() - t0);
    prefill_cpu.push_back(cpu_now() - c0);
  }
  getloadavg(load_after, 1);
  const double n_tok = static_cast<double>(prompt.ids.size());
  const nlohmann::json out = {
      {"threads", threads}, {"repeats", repeats},
      {"load_average", {load_before[0], load_after[0]}},
      {"vision", {{"tile_seconds", median(tile_s)}, {"tiles_per_s", 1.0 / median(tile_s)},
                  {"tile_cpu_seconds", median(tile_cpu)},
                  {"image_336_seconds", median(image_s)}, {"images_per_s", 1.0 / median(image_s)},
                  {"image_336_cpu_seconds", median(image_cpu)},
                  {"tiles_per_image", px.n_tiles}, {"image_tokens", n_image_tokens},
                  {"weight_bytes", m->vision_tower().weight_bytes()}}},
      {"prefill", {{"tokens", prompt.ids.size()}, {"seconds", median(prefill_s)},
                   {"cpu_seconds", median(prefill_cpu)},
                   {"tokens_per_s", n_tok / median(prefill_s)},
                   {"lm_layers", s.lm_layers}, {"lm_hidden", s.lm_hidden}, {"lm_ff", s.lm_ff},
                   {"seconds_per_layer_estimate", median(prefill_s) / s.lm_layers}}},
      {"samples", {{"tile", tile_s}, {"image", image_s}, {"prefill", prefill_s},
                   {"tile_cpu", tile_cpu}, {"image_cpu", image_cpu}, {"prefill_cpu", prefill_cpu}}}};
  std::printf("%s\n", out.dump(1).c_str());
  return 0;
}
