// The whole device forward of the mini model (datasets/mini/model) against the CPU engine: logits
// of prefill chunks and mixed decode batches within bf16 tolerance (the device keeps bf16 weights
// and a bf16 cache), and greedy generations identical for at least 95 % of prompts.
#include <gtest/gtest.h>

#include <filesystem>

#include "cuda/cuda_model.h"
#include "device_test.h"
#include "model/generate.h"
#include "model/run_context.h"

namespace t2::cuda {
namespace {

const char* kMini = "datasets/mini/model";

struct Models {
  std::shared_ptr<const model::LlamaModel> cpu, gpu;
};

Models load_both() {
  model::set_device_model_factory({});
  Models m;
  m.cpu = model::LlamaModel::load(kMini);
  install_cuda_backend();
  m.gpu = model::LlamaModel::load(kMini);
  model::set_device_model_factory({});
  return m;
}

std::vector<int32_t> prompt(uint64_t seed, int64_t len, int64_t nv) {
  Rng r(seed);
  std::vector<int32_t> p(static_cast<size_t>(len));
  for (auto& t : p) t = static_cast<int32_t>(r.below(static_cast<uint64_t>(nv)));
  return p;
}

TEST(CudaForward, MiniModelLogitsMatchTheCpu) {
  T2_REQUIRE_DEVICE();
  ASSERT_TRUE(std::filesystem::exists(kMini));
  const Models m = load_both();
  ASSERT_NE(m.gpu->device(), nullptr);
  const int64_t nv = m.cpu->config().n_vocab;
  model::RunContext cc(m.cpu), gc(m.gpu);
  // Two sequences: prefill of 37 and 300 tokens (all rows), then 5 mixed decode steps.
  const auto p0 = prompt(1, 37, nv), p1 = prompt(2, 300, nv);
  for (auto* ctx : {&cc, &gc}) {
    ctx->add_sequence();
    ctx->add_sequence();
  }
  std::vector<model::SeqChunk> batch = {{0, p0, model::OutputRows::all}, {1, p1, model::OutputRows::last}};
  for (int step = 0; step < 6; ++step) {
    const int64_t n_c = m.cpu->forward(cc, batch), n_g = m.gpu->forward(gc, batch);
    ASSERT_EQ(n_c, n_g);
    const float* lc = m.cpu->logits(cc, 0, n_c);
    std::vector<float> want(lc, lc + n_c * nv);
    const float* lg = m.gpu->logits(gc, 0, n_g);
    std::vector<float> got(lg, lg + n_g * nv);
    EXPECT_LT(test::rel_error(got, want), 0.05) << "step " << step;
    // Next step: one decode token per sequence.
    static int32_t next[2];
    next[0] = model::argmax(want.data() + (n_c - 2) * nv, nv);
    next[1] = model::argmax(want.data() + (n_c - 1) * nv, nv);
    batch = {{0, std::span<const int32_t>(&next[0], 1), model::OutputRows::last},
             {1, std::span<const int32_t>(&next[1], 1), model::OutputRows::last}};
  }
}

TEST(CudaForward, GreedyGenerationsMatchTheCpu) {
  T2_REQUIRE_DEVICE();
  const Models m = load_both();
  const int64_t nv = m.cpu->config().n_vocab;
  std::vector<model::GenerationRequest> reqs(40);
  for (size_t i = 0; i < reqs.size(); ++i) {
    reqs[i].id = i;
    reqs[i].prompt = prompt(100 + i, 5 + static_cast<int64_t>(i) * 3, nv);
    reqs[i].max_new_tokens = 24;
  }
  model::RunContext cc(m.cpu), gc(m.gpu);
  model::GenerationOptions opt;
  opt.want_logprobs = true;
  const auto a = model::generate(cc, reqs, opt);
  const auto b = model::generate(gc, reqs, opt);
  int same = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    same += a[i].tokens == b[i].tokens;
    if (!b[i].logprobs.empty() && a[i].tokens == b[i].tokens) {
      EXPECT_NEAR(b[i].logprobs[0], a[i].logprobs[0], 0.05);
    }
  }
  EXPECT_GE(same * 100, 95 * static_cast<int>(reqs.size())) << same << " of " << reqs.size();
}

}  // namespace
}  // namespace t2::cuda
