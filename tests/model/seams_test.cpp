// The two seams other modules build on: weight overrides (SVF) per run and per sequence, and
// tensor-parallel shards whose partial sums, added by the all-reduce hook, reproduce the
// unsharded logits.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "base/error.h"
#include "fixture.h"
#include "model/llama/model.h"
#include "model/run_context.h"
#include "thread_pair_reduce.h"
#include "tensor/ops.h"

using namespace t2;
using namespace t2::model;

namespace {

// Dense override: y = x · (scale_of(seq) · W)ᵀ, where W is a copy of the base weight in f32. With
// scale 1 it must reproduce the base model exactly; row_seq selects the scale per sequence.
class ScaledDense : public LinearOverride {
 public:
  ScaledDense(const Weight& w, std::vector<float> seq_scale) : rows_(w.rows), cols_(w.cols),
      scale_(std::move(seq_scale)), w_(static_cast<size_t>(w.rows * w.cols)) {
    tensor::convert_to_f32(w.data, w.dtype, w_.data(), w_.size());
  }
  int64_t n_in() const override { return cols_; }
  int64_t n_out() const override { return rows_; }
  void forward(const float* x, float* y, int64_t n, std::span<const int32_t> row_seq) const override {
    ++calls;
    EXPECT_EQ(static_cast<int64_t>(row_seq.size()), n);
    tensor::linear(x, w_.data(), DType::f32, y, n, rows_, cols_);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < rows_; ++j) y[i * rows_ + j] *= scale_.at(row_seq[i]);
  }
  mutable int calls = 0;

 private:
  int64_t rows_, cols_;
  std::vector<float> scale_;
  std::vector<float> w_;
};

std::vector<float> last_logits(const LlamaModel& m, RunContext& ctx,
                               const std::vector<std::vector<int32_t>>& seqs) {
  ctx.clear_all();
  std::vector<SeqChunk> batch;
  for (const auto& s : seqs) batch.push_back({ctx.add_sequence(), s, OutputRows::last});
  const int64_t n = m.forward(ctx, batch);
  const float* lg = m.logits(ctx, 0, n);
  return std::vector<float>(lg, lg + n * m.config().n_vocab);
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b, size_t from, size_t to) {
  double d = 0;
  for (size_t i = from; i < to; ++i) d = std::max(d, std::fabs(double(a[i]) - b[i]));
  return d;
}

}  // namespace

TEST(Override, IdentityOverrideKeepsOutputAndScaledOneChangesOnlyItsSequence) {
  // F32 weights: the override's f32 copy of W takes the same kernel path as the base weight.
  auto m = LlamaModel::load(test::fixture_dir("llama2_mha_untied_f32_sharded"));
  const auto ex = test::load_expected("llama2_mha_untied_f32_sharded");
  const std::vector<std::vector<int32_t>> seqs = {ex[0].ids, ex[1].ids};
  const int64_t nv = m->config().n_vocab;
  RunContext ctx(m);
  const auto base = last_logits(*m, ctx, seqs);
  const std::string name = "model.layers.1.mlp.down_proj.weight";
  const Weight& w = m->weights().get(name);
  // Scale 1 for both sequences: identical output, and the override was really called.
  auto same = std::make_shared<ScaledDense>(w, std::vector<float>{1.0f, 1.0f});
  ctx.set_override(name, same);
  const auto with_same = last_logits(*m, ctx, seqs);
  EXPECT_EQ(same->calls, 1);
  EXPECT_LT(max_abs_diff(base, with_same, 0, base.size()), 1e-4);
  // Scale 0 for slot 1 only: slot 0 unchanged, slot 1 changed.
  auto half = std::make_shared<ScaledDense>(w, std::vector<float>{1.0f, 0.0f});
  ctx.set_override(name, half);
  const auto with_half = last_logits(*m, ctx, seqs);
  EXPECT_LT(max_abs_diff(base, with_half, 0, nv), 1e-4);
  EXPECT_GT(max_abs_diff(base, with_half, nv, 2 * nv), 1e-2);
  // Removing the override restores the base model; the base weights were never modified.
  ctx.set_override(name, nullptr);
  EXPECT_EQ(last_logits(*m, ctx, seqs), base);
  // A second context on the same model is unaffected by the first one's overrides.
  ctx.set_override(name, half);
  RunContext other(m);
  EXPECT_EQ(last_logits(*m, other, seqs), base);
  // Shape mismatch and unknown names are errors naming the weight.
  auto wrong = std::make_shared<ScaledDense>(m->weights().get("model.layers.0.self_attn.q_proj.weight"),
                                             std::vector<float>{1.0f});
  try {
    ctx.set_override(name, wrong);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
  EXPECT_THROW(ctx.set_override("model.layers.9.mlp.up_proj.weight", same), Error);
  EXPECT_THROW(ctx.set_override("model.norm.weight", same), Error);
}

TEST(TensorParallel, TwoShardsWithSumHookReproduceUnshardedLogits) {
  for (const std::string name : {"llama3_gqa_untied_bf16_sharded", "llama2_mha_untied_f32_sharded"}) {
    const auto ex = test::load_expected(name);
    const std::vector<std::vector<int32_t>> seqs = {ex[1].ids, ex[3].ids};
    auto full = LlamaModel::load(test::fixture_dir(name));
    RunContext ctx(full);
    const auto expect = last_logits(*full, ctx, seqs);

    // Two ranks in two threads; the hook sums the partial outputs through a shared buffer.
    test::ThreadPairReduce reduce;
    std::vector<float> got[2];
    int reduces[2] = {0, 0};
    auto rank_main = [&](int rank) {
      auto shard = LlamaModel::load(test::fixture_dir(name), LoadOptions{TpShard{rank, 2}});
      RunContext rc(shard);
      rc.set_all_reduce([&reduces, rank, sum = reduce.hook(rank)](float* data, size_t n) {
        ++reduces[rank];
        sum(data, n);
      });
      EXPECT_EQ(shard->n_head_local(), full->config().n_head / 2);
      EXPECT_EQ(shard->weights().get("model.layers.0.mlp.down_proj.weight").cols,
                full->config().n_ff / 2);
      got[rank] = last_logits(*shard, rc, seqs);
    };
    std::thread t0(rank_main, 0), t1(rank_main, 1);
    t0.join();
    t1.join();
    EXPECT_EQ(reduces[0], 2 * full->config().n_layer);
    for (int r = 0; r < 2; ++r) {
      ASSERT_EQ(got[r].size(), expect.size());
      EXPECT_LT(max_abs_diff(expect, got[r], 0, expect.size()), 1e-4) << name << " rank " << r;
    }
    // Without a hook a shard refuses to run rather than computing partial sums silently.
    auto shard = LlamaModel::load(test::fixture_dir(name), LoadOptions{TpShard{0, 2}});
    RunContext rc(shard);
    EXPECT_THROW(last_logits(*shard, rc, seqs), Error);
  }
  // Head counts not divisible by the shard count.
  EXPECT_THROW(LlamaModel::load(test::fixture_dir("mistral_gqa_headdim_f16"), LoadOptions{TpShard{0, 2}}),
               Error);
}

TEST(LayerObserver, SeesEveryLayerAndTheFinalResidual) {
  auto m = LlamaModel::load(test::fixture_dir("llama3_gqa_tied_f32"));
  const auto ex = test::load_expected("llama3_gqa_tied_f32");
  RunContext ctx(m);
  const int64_t d = m->config().n_embd;
  std::vector<int64_t> layers;
  std::vector<float> last;
  std::vector<int32_t> seen_seq;
  ctx.set_layer_observer([&](int64_t l, const float* x, int64_t n, std::span<const int32_t> rs) {
    layers.push_back(l);
    last.assign(x, x + n * d);
    seen_seq.assign(rs.begin(), rs.end());
  });
  const SeqChunk batch[2] = {{ctx.add_sequence(), ex[0].ids, OutputRows::all},
                             {ctx.add_sequence(), ex[2].ids, OutputRows::all}};
  const int64_t n = m->forward(ctx, batch);
  EXPECT_EQ(layers, (std::vector<int64_t>{0, 1}));
  ASSERT_EQ(static_cast<int64_t>(seen_seq.size()), n);
  EXPECT_EQ(seen_seq.front(), 0);
  EXPECT_EQ(seen_seq.back(), 1);
  // The final hidden states are the last layer's residual stream after the final norm.
  std::vector<float> normed(last.size());
  tensor::rms_norm(last.data(), static_cast<const float*>(m->weights().final_norm().data),
                   normed.data(), n, d, static_cast<float>(m->config().rms_norm_eps));
  for (int64_t i = 0; i < n * d; ++i) ASSERT_NEAR(normed[i], ctx.hidden()[i], 1e-5) << i;
}
