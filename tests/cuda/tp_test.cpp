// Tensor parallelism on the device, under mpirun with two ranks and one GPU per rank: each rank
// holds a shard of the mini model on its GPU (columns of q/k/v/gate/up, rows of o/down, as the CPU
// shards them) and sums the row-parallel outputs over NCCL (CudaModel::group_all_reduce); the
// logits of prefill chunks and decode steps match the whole model on one device, with the base
// weights and with an SVF expert (its factors sharded like the weights) applied dense and
// factored. Without a GPU per rank every rank reports SKIPPED with the reason (ctest: skipped).
// main() is the distributed suites' (tests/dist/mpi_test_main.cpp): MPI set up by the guard, rank 0
// prints, every rank exits with the same status.
#include <gtest/gtest.h>

#include <unistd.h>  // getpid

#include <filesystem>

#include "cuda/cuda_model.h"
#include "device_test.h"
#include "../dist/test_world.h"  // world()
#include "model/run_context.h"
#include "svf/adapter.h"
#include "svf/checkpoint.h"
#include "svf/decompose.h"
#include "svf/svd_store.h"

namespace t2::cuda {
namespace {

const char* kMini = "datasets/mini/model";

// Logits [n_out, n_vocab] of prefill chunks of 19 and 40 tokens (every row) and then three decode
// steps of both sequences, concatenated.
std::vector<float> run_steps(const model::LlamaModel& m, model::RunContext& ctx) {
  const int64_t nv = m.config().n_vocab;
  std::vector<std::vector<int32_t>> prompts;
  Rng rng(3);
  for (int64_t len : {19, 40}) {
    std::vector<int32_t> p(static_cast<size_t>(len));
    for (auto& t : p) t = static_cast<int32_t>(rng.below(static_cast<uint64_t>(nv)));
    prompts.push_back(std::move(p));
  }
  ctx.clear_all();
  ctx.add_sequence();
  ctx.add_sequence();
  std::vector<float> out;
  std::vector<model::SeqChunk> batch = {{0, prompts[0], model::OutputRows::all},
                                        {1, prompts[1], model::OutputRows::last}};
  int32_t next[2] = {5, 9};
  for (int step = 0; step < 4; ++step) {
    const int64_t n = m.forward(ctx, batch);
    const float* l = m.logits(ctx, 0, n);
    out.insert(out.end(), l, l + n * nv);
    next[0] = (next[0] * 31 + step) % static_cast<int32_t>(nv);
    next[1] = (next[1] * 17 + step) % static_cast<int32_t>(nv);
    batch = {{0, std::span<const int32_t>(&next[0], 1), model::OutputRows::last},
             {1, std::span<const int32_t>(&next[1], 1), model::OutputRows::last}};
  }
  return out;
}

TEST(CudaTensorParallel, ShardedForwardMatchesTheWholeModel) {
  const dist::Communicator& world = dist::test::world();
  if (device_count() < world.size())
    GTEST_SKIP() << "a tensor-parallel group on the device needs one GPU per rank: " << world.size()
                 << " ranks, this process sees " << backend_summary();
  ASSERT_EQ(world.size(), 2) << "run under mpirun -np 2";
  select_rank_device();
  // The SVD store, decomposed by the ranks together into rank 0's temporary directory.
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("t2_cuda_tp_" + std::to_string(::getpid()))).string();
  world.broadcast(dir, 0);
  if (world.rank() == 0) std::filesystem::create_directories(dir);
  world.barrier();
  const std::string store_path = dir + "/svd.h5";
  svf::DecomposeOptions dopt;
  dopt.progress = false;
  svf::decompose_to_store(store_path, svf::weight_source_from_dir(kMini, svf::MatrixSet::all), dopt,
                          world);
  const svf::SvdStore store = svf::SvdStore::open(store_path);

  install_cuda_backend();
  model::LoadOptions lo;
  lo.tp = {world.rank(), world.size()};
  auto shard = model::LlamaModel::load(kMini, lo);
  auto whole = model::LlamaModel::load(kMini);
  model::set_device_model_factory({});
  ASSERT_NE(shard->device(), nullptr);
  model::RunContext sc(shard), wc(whole);
  sc.set_all_reduce(shard->device()->group_all_reduce(world));

  // Base weights.
  const auto want = run_steps(*whole, wc);
  const auto got = run_steps(*shard, sc);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_LT(test::rel_error(got, want), 1e-2) << "base weights";

  // One strong expert over every matrix, dense and factored.
  auto f_whole = std::make_shared<const svf::FactorSet>(svf::FactorSet::load(store, *whole));
  auto f_shard = std::make_shared<const svf::FactorSet>(svf::FactorSet::load(store, *shard));
  svf::ScalingSet s;
  s.label = "strong";
  Rng rng(11);
  for (const std::string& name : f_whole->names()) {
    std::vector<float> z(static_cast<size_t>(f_whole->get(name).r));
    for (auto& v : z) v = static_cast<float>(0.3 + 1.4 * rng.uniform());
    s.z.emplace(name, std::move(z));
  }
  const std::vector<const svf::ScalingSet*> slots(2, &s);
  svf::Workload work;
  work.prompt_tokens = {19, 40};
  work.new_tokens = {3, 3};
  for (svf::ApplyMode mode : {svf::ApplyMode::dense, svf::ApplyMode::factored}) {
    SCOPED_TRACE(svf::apply_mode_name(mode));
    svf::Adapter aw(*whole, f_whole, mode), as(*shard, f_shard, mode);
    aw.attach(wc, slots, work);
    as.attach(sc, slots, work);
    const auto want_a = run_steps(*whole, wc);
    const auto got_a = run_steps(*shard, sc);
    EXPECT_LT(test::rel_error(got_a, want_a), 1e-2);
    EXPECT_GT(test::rel_error(want_a, want), 0.05) << "the expert must change the logits";
  }
  world.barrier();
  if (world.rank() == 0) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace t2::cuda
