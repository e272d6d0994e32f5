// Tensor-parallel logits equal single-rank logits on the engine's Hugging Face fixtures. Each shard
// (LoadOptions::tp) runs in its own thread with its own RunContext; the all-reduce hook sums over
// the threads, standing in for the group Communicator that `t2 eval --tp` plugs into the same hook
// (the MPI path is exercised end to end by tests/eval/world_size_test.sh).
// Tolerance: max |Δlogit| ≤ 1e-4 · max(1, max |logit|) — f32 partial sums in a different order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/file.h"
#include "model/llama/model.h"
#include "model/run_context.h"

namespace t2::adapt {
namespace {

// Sums equal-length buffers over n threads, in place, like an all-reduce.
class ThreadAllReduce {
 public:
  explicit ThreadAllReduce(int n) : n_(n) {}
  void reduce(float* d, size_t len) {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [&] { return left_ == 0; });
    if (arrived_ == 0) sum_.assign(len, 0.0f);
    for (size_t i = 0; i < len; ++i) sum_[i] += d[i];
    const int my = gen_;
    if (++arrived_ == n_) {
      ++gen_;
      arrived_ = 0;
      left_ = n_;
      cv_.notify_all();
    } else {
      cv_.wait(l, [&] { return gen_ != my; });
    }
    std::copy(sum_.begin(), sum_.begin() + static_cast<std::ptrdiff_t>(len), d);
    if (--left_ == 0) cv_.notify_all();
  }

 private:
  int n_;
  std::mutex m_;
  std::condition_variable cv_;
  int arrived_ = 0, gen_ = 0, left_ = 0;
  std::vector<float> sum_;
};

// Logits of every position of two sequences (lengths 9 and 5), prefill then two decode steps.
std::vector<float> run_logits(const model::LlamaModel& m, model::RunContext& ctx) {
  const int64_t v = m.config().n_vocab;
  std::vector<int32_t> a, b;
  for (int i = 0; i < 9; ++i) a.push_back(static_cast<int32_t>((i * 37 + 5) % v));
  for (int i = 0; i < 5; ++i) b.push_back(static_cast<int32_t>((i * 11 + 3) % v));
  const int32_t sa = ctx.add_sequence(16), sb = ctx.add_sequence(16);
  std::vector<float> out;
  auto step = [&](std::vector<model::SeqChunk> chunks) {
    const int64_t n = m.forward(ctx, chunks);
    const float* lg = m.logits(ctx, 0, n);
    out.insert(out.end(), lg, lg + n * v);
  };
  step({{sa, a, model::OutputRows::all}, {sb, b, model::OutputRows::all}});
  const int32_t next[] = {7, 9};
  step({{sa, std::span<const int32_t>(next, 1), model::OutputRows::last},
        {sb, std::span<const int32_t>(next + 1, 1), model::OutputRows::last}});
  return out;
}

class TpLogits : public ::testing::TestWithParam<std::string> {};

TEST_P(TpLogits, ShardsMatchSingleRank) {
  const std::string dir = "tests/reference/fixtures/" + GetParam();
  const auto cfg = nlohmann::json::parse(io::read_file(dir + "/config.json"));
  auto full = model::LlamaModel::load(dir);
  model::RunContext ctx(full);
  const auto ref = run_logits(*full, ctx);
  float scale = 1.0f;
  for (float x : ref) scale = std::max(scale, std::fabs(x));
  int tested = 0;
  for (int tp : {2, 4}) {
    if (full->config().n_head_kv % tp != 0 || full->config().n_ff % tp != 0) {
      // Not shardable that way (e.g. one KV head): the engine must refuse it clearly.
      model::LoadOptions lo;
      lo.tp = {0, tp};
      try {
        model::LlamaModel::load(dir, lo);
        ADD_FAILURE() << GetParam() << ": tp " << tp << " loaded although heads do not divide";
      } catch (const t2::Error& e) {
        EXPECT_NE(std::string(e.what()).find("divisible by"), std::string::npos) << e.what();
      }
      continue;
    }
    ++tested;
    ThreadAllReduce ar(tp);
    std::vector<std::vector<float>> got(tp);
    std::vector<std::string> errors(tp);
    std::vector<std::thread> threads;
    for (int r = 0; r < tp; ++r) {
      threads.emplace_back([&, r] {
        try {
          model::LoadOptions lo;
          lo.tp = {r, tp};
          auto shard = model::LlamaModel::load(dir, lo);
          model::RunContext c(shard);
          c.set_all_reduce([&ar](float* d, size_t n) { ar.reduce(d, n); });
          got[r] = run_logits(*shard, c);
        } catch (const std::exception& e) {
          errors[r] = e.what();
        }
      });
    }
    for (auto& t : threads) t.join();
    for (int r = 0; r < tp; ++r) {
      ASSERT_EQ(errors[r], "") << "tp " << tp << " rank " << r;
      ASSERT_EQ(got[r].size(), ref.size());
      float worst = 0;
      for (size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::fabs(got[r][i] - ref[i]));
      std::printf("%s tp %d rank %d: max |dlogit| %.3g (max |logit| %.3g)\n", GetParam().c_str(),
                  tp, r, worst, scale);
      EXPECT_LE(worst, 1e-4f * scale) << GetParam() << " tp " << tp << " rank " << r
                                      << ": max |Δlogit| " << worst << " (max |logit| " << scale << ")";
      // Every rank of a group must see identical logits: greedy choices stay in lockstep.
      EXPECT_EQ(got[r], got[0]) << "tp " << tp << " rank " << r << " differs from rank 0";
    }
  }
  // mistral_gqa_headdim_f16 has a single KV head: no degree applies; the others must be tested.
  if (GetParam() != "mistral_gqa_headdim_f16") {
    EXPECT_GT(tested, 0) << GetParam();
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TpLogits,
                         ::testing::Values("llama3_gqa_tied_f32", "llama3_gqa_untied_bf16_sharded",
                                           "llama2_mha_untied_f32_sharded", "mistral_gqa_headdim_f16"));

}  // namespace
}  // namespace t2::adapt
