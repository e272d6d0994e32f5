// LlavaModel against Hugging Face transformers on tiny random LLaVA-NeXT checkpoints: pixel values,
// per-tile projector outputs, packed image features, placeholder counts, logits of every position
// of prompts with images, greedy continuations through generate() (also with prefill chunks that
// cut through an image), teacher-forced scores, tensor parallelism, and the refusals (the "full"
// strategy's packing, placeholder mismatches, embeddings outside the prompt, broken checkpoints).
// Runs at both kernel levels.
#include <gtest/gtest.h>
#include <unistd.h>  // getpid

#include <filesystem>
#include <thread>
#include <tuple>

#include "base/error.h"
#include "io/image.h"
#include "llava_fixture.h"
#include "model/generate.h"
#include "model/llava/model.h"
#include "model/run_context.h"
#include "thread_pair_reduce.h"
#include "tensor/ops.h"

using namespace t2;
using model::EmbeddingRun;
using model::OutputRows;
using model::RunContext;
using model::SeqChunk;
using model::llava::ImageFeatures;
using model::llava::LlavaModel;
using model::llava::LlavaPrompt;

namespace {

bool is_bf16(const std::string& name) { return name.find("bf16") != std::string::npos; }

// Logit tolerance: float32 checkpoints agree with transformers' float32 forward to 1e-4 at both
// kernel levels; BF16 weights too at the reference level, while the fast BF16 kernels round
// activations to bf16 (docs/tensor.md), as for the plain Llama fixtures.
double logit_tolerance(const std::string& name, tensor::KernelLevel level) {
  return is_bf16(name) && level == tensor::KernelLevel::fast ? 6e-2 : 1e-4;
}

// Features: the same bound relative to the largest expected magnitude.
double feature_tolerance(const std::string& name, tensor::KernelLevel level, double scale) {
  return (is_bf16(name) && level == tensor::KernelLevel::fast ? 3e-2 : 1e-5) * std::max(1.0, scale);
}

std::vector<ImageFeatures> encode_all(const LlavaModel& m, const test::LlavaCase& c) {
  std::vector<ImageFeatures> out;
  for (const auto& im : c.meta["images"]) out.push_back(m.encode_image_file(test::llava_image(im["file"])));
  return out;
}

// Prompt p of the case with its images' features attached.
LlavaPrompt prompt_of(const LlavaModel& m, const test::LlavaCase& c,
                      const std::vector<ImageFeatures>& feats, size_t p) {
  const auto& pr = c.meta["prompts"][p];
  std::vector<ImageFeatures> imgs;
  for (int u : pr["images"]) imgs.push_back(feats[u]);
  return m.expand_prompt(pr["ids"].get<std::vector<int32_t>>(), std::move(imgs));
}

class LlavaVsHf : public ::testing::TestWithParam<std::tuple<std::string, tensor::KernelLevel>> {
 protected:
  void SetUp() override { tensor::set_kernel_level(std::get<1>(GetParam())); }
  void TearDown() override { tensor::set_kernel_level(tensor::KernelLevel::fast); }
};

}  // namespace

TEST_P(LlavaVsHf, PixelsTileFeaturesAndPackedFeaturesMatchTransformers) {
  const auto& [name, level] = GetParam();
  const test::LlavaCase c(name);
  auto m = LlavaModel::load(test::llava_dir(name));
  for (size_t i = 0; i < c.meta["images"].size(); ++i) {
    const auto& im = c.meta["images"][i];
    const std::string key = "image" + std::to_string(i);
    const io::Image img = io::read_image(test::llava_image(im["file"]));
    const auto px = model::llava::preprocess_image(img, m->config().image);
    EXPECT_EQ(px.n_tiles, im["tiles"].get<int64_t>()) << im["file"];
    EXPECT_EQ(px.image_height, im["image_size"][0].get<int64_t>());
    EXPECT_EQ(px.image_width, im["image_size"][1].get<int64_t>());
    const auto want_px = c.tensors.get(key + ".pixel_values");
    ASSERT_EQ(px.data.size(), want_px.size()) << im["file"];
    const double px_err = test::max_abs_diff(px.data.data(), want_px.data(), want_px.size());
    EXPECT_LE(px_err, test::pixel_tolerance(im["file"])) << im["file"] << ": pixel values";

    const auto tiles = m->encode_tiles(px);
    const auto want_tiles = c.tensors.get(key + ".tile_features");
    ASSERT_EQ(tiles.size(), want_tiles.size());
    const double tile_err = test::max_abs_diff(tiles.data(), want_tiles.data(), tiles.size());
    EXPECT_LT(tile_err, feature_tolerance(name, level, test::max_abs(want_tiles))) << im["file"];

    const ImageFeatures f = m->image_features(px);
    const auto want = c.tensors.get(key + ".features");
    EXPECT_EQ(f.n, im["n_features"].get<int64_t>()) << im["file"];
    EXPECT_EQ(m->n_image_tokens(px.image_height, px.image_width), im["n_placeholders"].get<int64_t>());
    ASSERT_EQ(f.data.size(), want.size());
    const double feat_err = test::max_abs_diff(f.data.data(), want.data(), want.size());
    EXPECT_LT(feat_err, feature_tolerance(name, level, test::max_abs(want))) << im["file"];
    std::printf("[%s, %s] %s: tiles %lld, features %lld, max |Δ| tile %.3g packed %.3g\n",
                name.c_str(), tensor::kernel_level_name(level), im["file"].get<std::string>().c_str(),
                static_cast<long long>(px.n_tiles), static_cast<long long>(f.n), tile_err, feat_err);
  }
}

TEST_P(LlavaVsHf, LogitsOfPromptsWithImagesMatchTransformers) {
  const auto& [name, level] = GetParam();
  const test::LlavaCase c(name);
  auto m = LlavaModel::load(test::llava_dir(name));
  const auto feats = encode_all(*m, c);
  const auto& lm = *m->language_model();
  const int64_t nv = lm.config().n_vocab;
  // Every prompt in one batch, logits for every row.
  RunContext ctx(m->language_model());
  std::vector<LlavaPrompt> prompts;
  for (size_t p = 0; p < c.meta["prompts"].size(); ++p) prompts.push_back(prompt_of(*m, c, feats, p));
  std::vector<SeqChunk> batch;
  for (const auto& p : prompts) batch.push_back({ctx.add_sequence(), p.ids, OutputRows::all, p.embeds});
  const int64_t n_out = lm.forward(ctx, batch);
  const float* logits = lm.logits(ctx, 0, n_out);
  int64_t row = 0;
  double worst = 0;
  for (size_t p = 0; p < prompts.size(); ++p) {
    const auto want = c.tensors.get("prompt" + std::to_string(p) + ".logits");
    const auto n = static_cast<int64_t>(prompts[p].ids.size());
    ASSERT_EQ(n, c.meta["prompts"][p]["expanded_length"].get<int64_t>());
    ASSERT_EQ(want.size(), static_cast<size_t>(n * nv));
    const double err = test::max_abs_diff(logits + row * nv, want.data(), want.size());
    EXPECT_LT(err, logit_tolerance(name, level)) << name << " prompt " << p;
    worst = std::max(worst, err);
    row += n;
  }
  EXPECT_EQ(row, n_out);
  std::printf("[%s, %s] max |Δ logit| = %.3g\n", name.c_str(), tensor::kernel_level_name(level), worst);
}

TEST_P(LlavaVsHf, GreedyGenerationAndScoresMatchTransformers) {
  const auto& [name, level] = GetParam();
  // With bf16-rounded activations (BF16 weights, fast kernels) greedy tokens of a random model
  // may legitimately differ from float32 transformers; there the test holds generation to itself
  // (chunked = unchunked) and the scores to the logit tolerance.
  const bool exact = !(is_bf16(name) && level == tensor::KernelLevel::fast);
  const test::LlavaCase c(name);
  auto m = LlavaModel::load(test::llava_dir(name));
  const auto feats = encode_all(*m, c);
  RunContext ctx(m->language_model());
  std::vector<model::GenerationRequest> reqs;
  std::vector<LlavaPrompt> prompts;
  for (size_t p = 0; p < c.meta["prompts"].size(); ++p) {
    prompts.push_back(prompt_of(*m, c, feats, p));
    reqs.push_back(prompts.back().request(c.meta["prompts"][p]["greedy"].size(), {}, p));
  }
  std::vector<std::vector<int32_t>> first;
  for (int64_t chunk : {2048, 7}) {  // 7: prefill chunks cut through the image runs
    model::GenerationOptions go;
    go.use_eos = false;
    go.max_batch_tokens = chunk;
    const auto out = model::generate(ctx, reqs, go);
    for (size_t p = 0; p < reqs.size(); ++p) {
      ASSERT_EQ(out[p].finish, model::FinishReason::max_tokens) << out[p].error;
      if (exact) {
        EXPECT_EQ(out[p].tokens, c.meta["prompts"][p]["greedy"].get<std::vector<int32_t>>())
            << name << " prompt " << p << " chunk " << chunk;
      }
      if (chunk == 2048) first.push_back(out[p].tokens);
      else EXPECT_EQ(out[p].tokens, first[p]) << name << " prompt " << p << ": chunked prefill";
    }
  }
  // Teacher-forced scores of the expanded prompts = log-softmax of transformers' logits.
  std::vector<std::vector<int32_t>> seqs;
  std::vector<std::vector<EmbeddingRun>> runs;
  for (const auto& p : prompts) {
    seqs.push_back(p.ids);
    runs.push_back(p.embeds);
  }
  model::ScoreOptions so;
  so.max_batch_tokens = 13;
  const auto lp = model::score(ctx, seqs, runs, so);
  const int64_t nv = m->language_model()->config().n_vocab;
  for (size_t p = 0; p < seqs.size(); ++p) {
    auto want = c.tensors.get("prompt" + std::to_string(p) + ".logits");
    tensor::log_softmax(want.data(), want.data(), static_cast<int64_t>(seqs[p].size()), nv);
    ASSERT_EQ(lp[p].size(), seqs[p].size() - 1);
    double err = 0;
    for (size_t i = 0; i + 1 < seqs[p].size(); ++i)
      err = std::max(err, std::fabs(double(lp[p][i]) - want[i * nv + seqs[p][i + 1]]));
    // A log-prob moves by at most twice the largest logit error.
    EXPECT_LT(err, 2 * logit_tolerance(name, level)) << name << " prompt " << p;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, LlavaVsHf,
    ::testing::Combine(::testing::ValuesIn(test::llava_cases()),
                       ::testing::Values(tensor::KernelLevel::reference, tensor::KernelLevel::fast)),
    [](const auto& info) {
      return std::get<0>(info.param) + "_" + tensor::kernel_level_name(std::get<1>(info.param));
    });

TEST(LlavaFullStrategy, TileFeaturesMatchAndPackingIsRefused) {
  const test::LlavaCase c("llava_next_full_f32");
  auto m = LlavaModel::load(test::llava_dir(c.name));
  EXPECT_EQ(m->config().n_tile_features(), m->config().vision.n_patches() + 1);
  for (size_t i = 0; i < c.meta["images"].size(); ++i) {
    const auto& im = c.meta["images"][i];
    const auto px = model::llava::preprocess_image(io::read_image(test::llava_image(im["file"])),
                                                   m->config().image);
    const auto want_px = c.tensors.get("image" + std::to_string(i) + ".pixel_values");
    ASSERT_EQ(px.data.size(), want_px.size());
    EXPECT_LE(test::max_abs_diff(px.data.data(), want_px.data(), want_px.size()),
              test::pixel_tolerance(im["file"]));
    const auto tiles = m->encode_tiles(px);
    const auto want = c.tensors.get("image" + std::to_string(i) + ".tile_features");
    ASSERT_EQ(tiles.size(), want.size());
    EXPECT_LT(test::max_abs_diff(tiles.data(), want.data(), want.size()), 1e-5 * std::max(1.0, test::max_abs(want)));
    try {
      m->image_features(px);
      FAIL() << "packing with the full strategy must be refused";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("\"full\""), std::string::npos) << e.what();
    }
  }
}

TEST(LlavaTensorParallel, TwoShardsReproduceUnshardedLogits) {
  const std::string name = "llava_next_llama_f32";
  const test::LlavaCase c(name);
  auto full = LlavaModel::load(test::llava_dir(name));
  const auto feats = encode_all(*full, c);
  const LlavaPrompt p = prompt_of(*full, c, feats, 1);  // two images
  auto last_logits = [&](const LlavaModel& m, RunContext& ctx) {
    ctx.clear_all();
    std::vector<SeqChunk> batch{{ctx.add_sequence(), p.ids, OutputRows::last, p.embeds}};
    const int64_t n = m.language_model()->forward(ctx, batch);
    const float* lg = m.language_model()->logits(ctx, 0, n);
    return std::vector<float>(lg, lg + m.config().text.n_vocab);
  };
  RunContext ctx(full->language_model());
  const auto expect = last_logits(*full, ctx);
  std::vector<float> got[2];
  test::ThreadPairReduce reduce;
  auto rank_main = [&](int rank) {
    model::llava::LlavaLoadOptions lo;
    lo.tp = {rank, 2};
    auto shard = LlavaModel::load(test::llava_dir(name), lo);
    RunContext rc(shard->language_model());
    rc.set_all_reduce(reduce.hook(rank));
    EXPECT_EQ(shard->language_model()->n_head_local(), full->config().text.n_head / 2);
    got[rank] = last_logits(*shard, rc);
  };
  std::thread t0(rank_main, 0), t1(rank_main, 1);
  t0.join();
  t1.join();
  for (int r = 0; r < 2; ++r)
    EXPECT_LT(test::max_abs_diff(expect.data(), got[r].data(), expect.size()), 1e-4) << "rank " << r;
}

TEST(LlavaPrompt, ExpansionAndItsErrors) {
  auto m = LlavaModel::load(test::llava_dir("llava_next_llama_f32"));
  const int32_t img = m->config().image_token_id;
  EXPECT_EQ(img, 150);
  const int64_t d = m->config().text.n_embd;
  ImageFeatures a{3, std::vector<float>(3 * d, 1.0f), 0.5};
  ImageFeatures b{2, std::vector<float>(2 * d, 2.0f), 0.25};
  const std::vector<int32_t> ids = {1, img, 5, img};
  const LlavaPrompt p = m->expand_prompt(ids, {a, b});
  EXPECT_EQ(p.ids, (std::vector<int32_t>{1, img, img, img, 5, img, img}));
  ASSERT_EQ(p.embeds.size(), 2u);
  EXPECT_EQ(p.embeds[0].pos, 1);
  EXPECT_EQ(p.embeds[0].n, 3);
  EXPECT_EQ(p.embeds[1].pos, 5);
  EXPECT_EQ(p.embeds[1].data[0], 2.0f);
  EXPECT_DOUBLE_EQ(p.vision_seconds, 0.75);
  const auto req = p.request(4);
  EXPECT_EQ(req.embeds_owner, p.features);  // the request keeps the features alive
  EXPECT_THROW(m->expand_prompt(ids, {a}), Error);          // two image tokens, one image
  EXPECT_THROW(m->expand_prompt(std::vector<int32_t>{1, 2, 3}, {a}), Error);    // no image token
  ImageFeatures bad{4, std::vector<float>(3 * d), 0};
  EXPECT_THROW(m->expand_prompt(std::vector<int32_t>{1, img}, {bad}), Error);   // rows do not match the data

  // A run outside its prompt is an error result for that request only.
  RunContext ctx(m->language_model());
  model::GenerationRequest ok = p.request(2), outside = p.request(2);
  outside.embeds.push_back({6, 5, a.data.data()});
  const auto out = model::generate(ctx, std::vector{ok, outside});
  EXPECT_EQ(out[0].finish, model::FinishReason::max_tokens);
  EXPECT_EQ(out[1].finish, model::FinishReason::error);
  EXPECT_NE(out[1].error.find("inside"), std::string::npos) << out[1].error;
}

TEST(LlavaCheckpoint, BrokenCheckpointsAreRefusedWithTheCauseNamed) {
  namespace fs = std::filesystem;
  const std::string src = test::llava_dir("llava_next_llama_f32");
  const fs::path tmp = fs::temp_directory_path() / ("t2_llava_bad_" + std::to_string(::getpid()));
  auto fresh = [&]() {
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    for (const char* f : {"config.json", "preprocessor_config.json", "generation_config.json"})
      fs::copy_file(fs::path(src) / f, tmp / f);
  };
  // The weights without one tensor.
  auto write_without = [&](const std::string& drop) {
    io::SafetensorsFile in(src + "/model.safetensors");
    io::SafetensorsWriter w;
    for (const auto& e : in.tensors())
      if (e.name != drop) w.add_bytes(e.name, e.dtype, e.shape, e.data, e.n_bytes);
    w.write((tmp / "model.safetensors").string());
  };
  auto expect_error = [&](const std::string& needle) {
    try {
      LlavaModel::load(tmp.string());
      ADD_FAILURE() << "loaded a broken checkpoint; expected an error naming " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  fresh();
  write_without("image_newline");
  expect_error("image_newline");
  fresh();
  write_without("vision_tower.encoder.layers.1.mlp.fc2.bias");
  expect_error("vision_tower.encoder.layers.1.mlp.fc2.bias");
  fresh();
  write_without("language_model.model.layers.1.mlp.up_proj.weight");
  expect_error("language_model.model.layers.1.mlp.up_proj.weight");

  // Config problems, each named.
  auto with_config = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& needle,
                         const char* file = "config.json") {
    fresh();
    write_without("");
    auto j = nlohmann::json::parse(io::read_file(src + "/" + file));
    edit(j);
    io::write_file_atomic((tmp / file).string(), j.dump());
    expect_error(needle);
  };
  with_config([](auto& j) { j["vision_config"]["model_type"] = "siglip_vision_model"; }, "siglip_vision_model");
  with_config([](auto& j) { j["vision_feature_layer"] = 7; }, "vision_feature_layer 7");
  with_config([](auto& j) { j["image_token_index"] = 999; }, "image_token_index 999");
  with_config([](auto& j) { j["projector_hidden_act"] = "relu"; }, "relu");
  with_config([](auto& j) { j["vision_config"]["hidden_size"] = 40; }, "config.json implies");
  with_config([](auto& j) { j["crop_size"] = {{"height", 30}, {"width", 30}}; }, "crop_size",
              "preprocessor_config.json");
  with_config([](auto& j) { j["image_grid_pinpoints"] = {{28, 70}}; }, "image_grid_pinpoints",
              "preprocessor_config.json");
  with_config([](auto& j) { j["resample"] = 0; }, "resample", "preprocessor_config.json");
  fs::remove_all(tmp);
}

TEST(LlavaImages, UnreadableImagesAreErrorsNotCrashes) {
  auto m = LlavaModel::load(test::llava_dir("llava_next_llama_f32"));
  EXPECT_THROW(m->encode_image_file(test::llava_image("does_not_exist.png")), Error);
  io::ImageLimits small;
  small.max_pixels = 1000;
  try {
    m->encode_image_file(test::llava_image("gradient_640x480.jpg"), small);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("limit"), std::string::npos) << e.what();
  }
}

TEST(LlavaConfig, LlavaHfConfigsWithPartialSubConfigsGetTheClassDefaults) {
  // The shape of llava-hf's llama3-llava-next-8b-hf config.json: text_config lists only what
  // differs from LlamaConfig() (no layer or head count), vision_config a full CLIP-L/336.
  const std::string llama3 = R"({
    "architectures": ["LlavaNextForConditionalGeneration"], "model_type": "llava_next",
    "image_token_index": 128256, "image_grid_pinpoints": [[336,672],[672,336],[672,672],[1008,336],[336,1008]],
    "text_config": {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
                    "max_position_embeddings": 8192, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
                    "rope_theta": 500000.0, "vocab_size": 128320, "bos_token_id": 128000,
                    "eos_token_id": 128009},
    "vision_config": {"model_type": "clip_vision_model", "hidden_size": 1024, "image_size": 336,
                      "intermediate_size": 4096, "num_attention_heads": 16, "num_hidden_layers": 24,
                      "patch_size": 14, "projection_dim": 768, "vocab_size": 32000}})";
  const auto c = model::llava::parse_llava_config(llama3, "config.json", "", "");
  EXPECT_EQ(c.text.n_layer, 32);
  EXPECT_EQ(c.text.n_head, 32);
  EXPECT_EQ(c.text.n_head_kv, 8);
  EXPECT_EQ(c.text.n_vocab, 128320);
  EXPECT_EQ(c.text.eos_token_ids, std::vector<int32_t>{128009});
  EXPECT_FALSE(c.text.tie_word_embeddings);
  EXPECT_EQ(c.image_token_id, 128256);
  EXPECT_EQ(c.vision.n_layer, 24);
  EXPECT_EQ(c.vision.grid(), 24);
  EXPECT_EQ(c.feature_layers, std::vector<int64_t>{23});  // −2 of 25 hidden states
  EXPECT_EQ(c.n_vision_layers_used(), 23);
  EXPECT_EQ(c.vision.act, model::llava::Activation::quick_gelu);
  EXPECT_EQ(c.image.tile(), 336);
  EXPECT_EQ(c.image.grid_pinpoints.size(), 5u);
  // llava-v1.6-mistral-7b-hf: a Mistral text_config with the sliding window switched off.
  const std::string mistral = R"({"model_type": "llava_next", "image_token_index": 32000,
    "text_config": {"architectures": ["MistralForCausalLM"], "model_type": "mistral",
                    "intermediate_size": 14336, "max_position_embeddings": 32768,
                    "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 1000000.0,
                    "sliding_window": null, "vocab_size": 32064}})";
  const auto m = model::llava::parse_llava_config(mistral, "config.json", "", "");
  EXPECT_EQ(m.text.architecture, "MistralForCausalLM");
  EXPECT_EQ(m.text.n_embd, 4096);
  EXPECT_EQ(m.text.n_layer, 32);
  EXPECT_EQ(m.text.sliding_window, 0);
  EXPECT_EQ(m.vision.n_layer, 24);  // no vision_config: LLaVA-NeXT's CLIP-L/336 defaults
  EXPECT_EQ(m.grid_pinpoints.size(), 5u);
  EXPECT_THROW(model::llava::parse_llava_config(R"({"model_type": "llava"})", "config.json", "", ""), Error);
}
