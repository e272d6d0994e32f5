// SVD store and rank-parallel decomposition: round trip, resume (complete matrices skipped,
// incomplete ones redone), a store from another checkpoint refused, truncated files refused,
// and the same store from 1 and 3 ranks (ranks simulated by threads behind the communicator
// interface, exactly as MPI ranks would call it). An error on one rank stops every rank.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "base/error.h"
#include "base/rng.h"
#include "io/file.h"
#include "io/h5.h"
#include "svf/decompose.h"
#include "model/fingerprint.h"
#include "svf/svd_store.h"

namespace t2::svf {
namespace {

namespace fs = std::filesystem;

// Ranks as threads: gather and broadcast through shared slots and a barrier.
struct ThreadWorld {
  explicit ThreadWorld(int n) : size(n), bar(n), slots(static_cast<size_t>(n)) {}
  int size;
  std::barrier<> bar;
  std::vector<std::string> slots;
  std::string bcast;
};

// The collectives decompose_to_store uses (gather and broadcast to/from rank 0) for one thread-rank;
// everything else is not needed here and throws.
class ThreadComm final : public dist::CommImpl {
 public:
  ThreadComm(ThreadWorld& w, int rank) : w_(w), rank_(rank) {}
  const char* kind() const override { return "threads"; }
  int rank() const override { return rank_; }
  int size() const override { return w_.size; }
  std::vector<std::string> gather(std::string_view bytes, int root) const override {
    w_.slots[rank_] = std::string(bytes);
    w_.bar.arrive_and_wait();
    std::vector<std::string> out;
    if (rank_ == root) out = w_.slots;
    w_.bar.arrive_and_wait();
    return out;
  }
  void broadcast(std::string& bytes, int root) const override {
    if (rank_ == root) w_.bcast = bytes;
    w_.bar.arrive_and_wait();
    bytes = w_.bcast;
    w_.bar.arrive_and_wait();
  }
  void barrier() const override { w_.bar.arrive_and_wait(); }
  void all_reduce_sum(std::span<float>) const override { unused("all_reduce_sum"); }
  void all_reduce_sum(std::span<double>) const override { unused("all_reduce_sum"); }
  void all_reduce_sum(std::span<int64_t>) const override { unused("all_reduce_sum"); }
  std::vector<std::string> all_gather(std::string_view) const override { unused("all_gather"); }
  void send(std::string_view, int, int) const override { unused("send"); }
  dist::Message recv(int, int) const override { unused("recv"); }
  dist::MessageInfo probe(int, int) const override { unused("probe"); }
  std::optional<dist::MessageInfo> iprobe(int, int) const override { unused("iprobe"); }
  std::shared_ptr<dist::CommImpl> split(int, int) const override { unused("split"); }
  std::shared_ptr<dist::CommImpl> split_node() const override { unused("split_node"); }
  [[noreturn]] void abort(int) const override { unused("abort"); }
  bool thread_multiple() const override { return false; }

 private:
  [[noreturn]] static void unused(const char* what) {
    throw Error(std::string("thread-rank test communicator: ") + what + " is not implemented");
  }
  ThreadWorld& w_;
  int rank_;
};

// A fake checkpoint of named random matrices (rectangular both ways, square).
struct FakeModel {
  std::map<std::string, WeightMatrix> weights;
  std::atomic<int> loads{0};
  std::string fail_on;  // load() throws for this matrix

  FakeModel() {
    const std::pair<int64_t, int64_t> shapes[] = {{24, 10}, {10, 24}, {16, 16}, {30, 8},
                                                  {8, 30},  {12, 12}, {20, 14}};
    for (int i = 0; i < 7; ++i) {
      WeightMatrix w;
      w.n_out = shapes[i].first;
      w.n_in = shapes[i].second;
      w.dtype = i % 2 ? "BF16" : "F32";
      Rng rng = Rng::stream(42, static_cast<uint64_t>(i), RngPurpose::generic);
      w.data.resize(static_cast<size_t>(w.n_out * w.n_in));
      for (auto& x : w.data) x = static_cast<float>(rng.normal());
      weights.emplace("model.layers." + std::to_string(i / 3) + ".mlp.m" + std::to_string(i) +
                          ".weight",
                      std::move(w));
    }
  }
  WeightSource source(std::vector<std::string> names = {}) {
    WeightSource s;
    if (names.empty())
      for (auto& [n, _] : weights) names.push_back(n);
    s.names = names;
    s.fingerprint = fingerprint();
    s.model_id = "fake-model";
    s.load = [this](const std::string& n) {
      if (n == fail_on) T2_FAIL("cannot read tensor '%s' (simulated)", n.c_str());
      ++loads;
      return weights.at(n);
    };
    return s;
  }
  std::string fingerprint() const {
    std::vector<model::TensorDesc> t;
    for (auto& [n, w] : weights)
      t.push_back({n, w.dtype, {w.n_out, w.n_in}, w.data.data(), w.data.size() * 4});
    return model::fingerprint_tensors(t);
  }
};

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("t2_svf_store_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& n) const { return (dir_ / n).string(); }
  fs::path dir_;
};

DecomposeOptions quiet() {
  DecomposeOptions o;
  o.progress = false;
  return o;
}

// Runs decompose_to_store on n thread-ranks; returns each rank's summary or error message.
std::vector<std::string> run_ranks(int n, const std::string& store, const WeightSource& src,
                                   std::vector<DecomposeSummary>* summaries = nullptr) {
  ThreadWorld world(n);
  std::vector<std::string> errors(static_cast<size_t>(n));
  std::vector<DecomposeSummary> sums(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      const dist::Communicator comm(std::make_shared<ThreadComm>(world, r));
      try {
        sums[r] = decompose_to_store(store, src, quiet(), comm);
      } catch (const Error& e) {
        errors[r] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  if (summaries) *summaries = sums;
  return errors;
}

TEST_F(StoreTest, DecomposeWritesEveryMatrixWithSmallError) {
  FakeModel model;
  dist::Communicator local;
  const auto sum = decompose_to_store(path("svd.h5"), model.source(), quiet(), local);
  EXPECT_EQ(sum.n_matrices, 7);
  EXPECT_EQ(sum.n_done, 7);
  EXPECT_EQ(sum.n_skipped, 0);
  EXPECT_LT(sum.max_error, 1e-5);
  EXPECT_GT(sum.max_error, 0);
  SvdStore store = SvdStore::open(path("svd.h5"));
  EXPECT_EQ(store.base_fingerprint(), model.fingerprint());
  EXPECT_EQ(store.base_model(), "fake-model");
  EXPECT_EQ(store.names().size(), 7u);
  EXPECT_DOUBLE_EQ(store.max_reconstruction_error(), sum.max_error);
  for (auto& [name, w] : model.weights) {
    const MatrixInfo info = store.info(name);
    EXPECT_EQ(info.n_out, w.n_out);
    EXPECT_EQ(info.n_in, w.n_in);
    EXPECT_EQ(info.dtype, w.dtype);
    EXPECT_EQ(info.precision, "f32");
    Svd svd = store.read(name);
    EXPECT_LE(max_reconstruction_error(svd, w.data), info.max_abs_error * 1.0001 + 1e-12);
    EXPECT_EQ(store.read_singular_values(name), svd.s);
  }
  // U, V, S on disk have the documented shapes.
  auto f = io::h5::File::open(path("svd.h5"));
  for (auto& [name, w] : model.weights) {
    auto g = f.group(name);
    const int64_t r = std::min(w.n_out, w.n_in);
    EXPECT_EQ(g.dataset("U").shape(), (std::vector<int64_t>{w.n_out, r}));
    EXPECT_EQ(g.dataset("S").shape(), (std::vector<int64_t>{r}));
    EXPECT_EQ(g.dataset("V").shape(), (std::vector<int64_t>{w.n_in, r}));
    EXPECT_EQ(g.attr_i64_vec("shape"), (std::vector<int64_t>{w.n_out, w.n_in}));
  }
}

TEST_F(StoreTest, ThreeRanksGiveTheSameStoreAsOne) {
  FakeModel model;
  dist::Communicator local;
  decompose_to_store(path("one.h5"), model.source(), quiet(), local);
  std::vector<DecomposeSummary> sums;
  const auto errors = run_ranks(3, path("three.h5"), model.source(), &sums);
  for (const auto& e : errors) EXPECT_EQ(e, "");
  for (const auto& s : sums) {  // every rank learns the same summary
    EXPECT_EQ(s.n_done, 7);
    EXPECT_EQ(s.max_error, sums[0].max_error);
  }
  SvdStore a = SvdStore::open(path("one.h5")), b = SvdStore::open(path("three.h5"));
  ASSERT_EQ(a.names(), b.names());
  for (const auto& n : a.names()) {
    Svd x = a.read(n), y = b.read(n);
    EXPECT_EQ(x.s, y.s) << n;
    EXPECT_EQ(x.u, y.u) << n;
    EXPECT_EQ(x.v, y.v) << n;
  }
}

TEST_F(StoreTest, ResumeSkipsCompleteAndRedoesIncompleteMatrices) {
  FakeModel model;
  std::vector<std::string> names;
  for (auto& [n, _] : model.weights) names.push_back(n);
  dist::Communicator local;
  const std::vector<std::string> first(names.begin(), names.begin() + 3);
  decompose_to_store(path("svd.h5"), model.source(first), quiet(), local);
  EXPECT_EQ(model.loads.load(), 3);
  {  // Simulate a crash in the middle of writing matrix 4: group present, no 'complete' mark.
    auto f = io::h5::File::open(path("svd.h5"), io::h5::Mode::read_write);
    f.create_group(names[3]).write("S", std::vector<float>{1, 2});
  }
  EXPECT_FALSE(SvdStore::open(path("svd.h5")).has(names[3]));
  model.loads = 0;
  const auto errors = run_ranks(2, path("svd.h5"), model.source());
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(model.loads.load(), 4);  // only the 4 missing matrices were loaded again
  SvdStore store = SvdStore::open(path("svd.h5"));
  EXPECT_EQ(store.names(), names);
  EXPECT_EQ(store.read(names[3]).r, std::min(model.weights[names[3]].n_out,
                                             model.weights[names[3]].n_in));
}

TEST_F(StoreTest, StoreFromAnotherCheckpointIsRefused) {
  FakeModel model;
  dist::Communicator local;
  decompose_to_store(path("svd.h5"), model.source(), quiet(), local);
  FakeModel other;
  other.weights.begin()->second.data[0] += 1.0f;  // a fine-tune: same names and shapes
  EXPECT_NE(other.fingerprint(), model.fingerprint());
  const auto errors = run_ranks(2, path("svd.h5"), other.source());
  for (const auto& e : errors) {
    EXPECT_NE(e.find("different base models"), std::string::npos) << e;
    EXPECT_NE(e.find(model.fingerprint()), std::string::npos) << e;
    EXPECT_NE(e.find(other.fingerprint()), std::string::npos) << e;
  }
}

TEST_F(StoreTest, ErrorOnOneRankStopsAllRanksAndKeepsFinishedWork) {
  FakeModel model;
  std::vector<std::string> names;
  for (auto& [n, _] : model.weights) names.push_back(n);
  model.fail_on = names[4];  // round 2 (index 4 of 7 with 2 ranks), rank 0
  const auto errors = run_ranks(2, path("svd.h5"), model.source());
  for (const auto& e : errors) EXPECT_NE(e.find("simulated"), std::string::npos) << e;
  SvdStore store = SvdStore::open(path("svd.h5"));
  EXPECT_EQ(store.names().size(), 4u);  // rounds 0 and 1 were written
  EXPECT_TRUE(store.has(names[3]));
  EXPECT_FALSE(store.has(names[4]));
}

TEST_F(StoreTest, DamagedAndForeignFilesAreRefusedClearly) {
  FakeModel model;
  dist::Communicator local;
  decompose_to_store(path("svd.h5"), model.source(), quiet(), local);
  const std::string bytes = io::read_file(path("svd.h5"));
  io::write_file_atomic(path("cut.h5"), std::string_view(bytes).substr(0, bytes.size() / 3));
  try {
    SvdStore s = SvdStore::open(path("cut.h5"));
    for (const auto& n : s.names()) s.read(n);
    FAIL() << "truncated store accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.h5"), std::string::npos) << e.what();
  }
  io::h5::File::create(path("other.h5")).set_attr("format", "something-else");
  try {
    SvdStore::open(path("other.h5"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not an SVD store"), std::string::npos) << e.what();
  }
  std::string first;
  {
    SvdStore s = SvdStore::open(path("svd.h5"));
    first = s.names()[0];
    try {
      s.read("model.layers.9.mlp.up_proj.weight");
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("model.layers.9.mlp.up_proj.weight"),
                std::string::npos);
    }
  }
  {  // Wrong factor length inside a complete group.
    auto f = io::h5::File::open(path("svd.h5"), io::h5::Mode::read_write);
    auto g = f.group(first);
    g.remove("S");
    g.write("S", std::vector<float>{3, 2, 1});
  }
  SvdStore s2 = SvdStore::open(path("svd.h5"));
  try {
    s2.read(s2.names()[0]);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(s2.names()[0]), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("S has 3 values"), std::string::npos) << e.what();
  }
}

TEST(Fingerprint, OrderIndependentAndContentSensitive) {
  std::vector<float> a(100000, 1.0f), b(50, 2.0f);
  std::vector<model::TensorDesc> t{{"a", "F32", {100000}, a.data(), a.size() * 4},
                            {"b", "F32", {50}, b.data(), b.size() * 4}};
  const std::string f1 = model::fingerprint_tensors(t);
  std::swap(t[0], t[1]);
  EXPECT_EQ(model::fingerprint_tensors(t), f1);
  EXPECT_EQ(f1.rfind("t2fp1-", 0), 0u);
  b[7] = 2.5f;  // small tensor: hashed whole
  EXPECT_NE(model::fingerprint_tensors(t), f1);
  b[7] = 2.0f;
  a[0] = 0.0f;  // first block of a large tensor is always sampled
  EXPECT_NE(model::fingerprint_tensors(t), f1);
  a[0] = 1.0f;
  t[1].shape = {50000, 2};
  EXPECT_NE(model::fingerprint_tensors(t), f1);
}

}  // namespace
}  // namespace t2::svf
