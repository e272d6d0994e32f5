// Communicator tests, built twice: against the local communicator (label unit) and under mpirun
// with 2, 3 and 5 ranks (label mpi). Expected values are computed on each rank from what every
// rank contributed, i.e. what the local communicator would give if it held all contributions.
#include <gtest/gtest.h>
#include <unistd.h>  // gethostname

#include <cmath>
#include <string>
#include <vector>

#include "base/error.h"
#include "test_world.h"

namespace t2::dist {
namespace {

using test::world;

// Rank r's deterministic contribution of length n (size varies with the rank on purpose).
std::string payload(int r, std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((r * 131 + i * 7) & 0xff);
  return s;
}

double value(int r, std::size_t i) { return std::sin(0.1 * static_cast<double>(i) + r) * (r + 1); }

TEST(Communicator, RankAndSize) {
  const auto& w = world();
  EXPECT_GE(w.size(), 1);
  EXPECT_GE(w.rank(), 0);
  EXPECT_LT(w.rank(), w.size());
  const std::string kind = w.kind();
  EXPECT_TRUE(kind == "local" || kind == "mpi") << kind;
  if (kind == "local") {
    EXPECT_EQ(w.size(), 1);
  }
}

TEST(Communicator, BroadcastFromEveryRoot) {
  const auto& w = world();
  for (int root = 0; root < w.size(); ++root) {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{1} << 20}) {
      std::string bytes = w.rank() == root ? payload(root, n) : std::string("stale");
      w.broadcast(bytes, root);
      EXPECT_EQ(bytes, payload(root, n)) << "root " << root << " n " << n;
    }
  }
}

TEST(Communicator, AllReduceSumDouble) {
  const auto& w = world();
  const std::size_t n = 1001;
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = value(w.rank(), i);
  w.all_reduce_sum(v);
  for (std::size_t i = 0; i < n; ++i) {
    double expect = 0;
    for (int r = 0; r < w.size(); ++r) expect += value(r, i);
    ASSERT_NEAR(v[i], expect, 1e-12 * (1 + std::abs(expect))) << i;
  }
}

TEST(Communicator, AllReduceSumFloat) {
  const auto& w = world();
  const std::size_t n = 4097;
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(value(w.rank(), i));
  w.all_reduce_sum(v);
  for (std::size_t i = 0; i < n; ++i) {
    double expect = 0;
    for (int r = 0; r < w.size(); ++r) expect += static_cast<float>(value(r, i));
    ASSERT_NEAR(v[i], expect, 1e-5 * (1 + std::abs(expect))) << i;
  }
}

TEST(Communicator, AllReduceIntegerValuedIsExact) {
  // Integer-valued doubles sum exactly in any order: the property tensor-parallel checks rely on.
  const auto& w = world();
  std::vector<double> v = {static_cast<double>(w.rank() + 1), 1e15, -3.0 * w.rank()};
  w.all_reduce_sum(v);
  const double n = w.size();
  EXPECT_EQ(v[0], n * (n + 1) / 2);
  EXPECT_EQ(v[1], 1e15 * n);
  EXPECT_EQ(v[2], -3.0 * n * (n - 1) / 2);
}

TEST(Communicator, AllReduceSumInt64) {
  // Full 64-bit range, negative values, a long vector: exact sums.
  const auto& w = world();
  const std::size_t n = 100003;
  std::vector<int64_t> v(n);
  auto val = [](int r, std::size_t i) {
    return (static_cast<int64_t>(i) * 2654435761LL - (int64_t{1} << 58)) * (r % 2 ? -1 : 1) +
           (int64_t{r} << 40);
  };
  for (std::size_t i = 0; i < n; ++i) v[i] = val(w.rank(), i);
  w.all_reduce_sum(v);
  for (std::size_t i = 0; i < n; ++i) {
    int64_t expect = 0;
    for (int r = 0; r < w.size(); ++r) expect += val(r, i);
    ASSERT_EQ(v[i], expect) << i;
  }
}

TEST(Communicator, GatherVariableLengths) {
  const auto& w = world();
  for (int root = 0; root < w.size(); ++root) {
    const auto parts = w.gather(payload(w.rank(), 10 * w.rank() + 3), root);
    if (w.rank() == root) {
      ASSERT_EQ(parts.size(), static_cast<std::size_t>(w.size()));
      for (int r = 0; r < w.size(); ++r) EXPECT_EQ(parts[r], payload(r, 10 * r + 3));
    } else {
      EXPECT_TRUE(parts.empty());
    }
  }
}

TEST(Communicator, AllGatherIncludingEmpty) {
  const auto& w = world();
  const auto parts = w.all_gather(payload(w.rank(), w.rank() % 2 == 0 ? 0 : 17));
  ASSERT_EQ(parts.size(), static_cast<std::size_t>(w.size()));
  for (int r = 0; r < w.size(); ++r) EXPECT_EQ(parts[r], payload(r, r % 2 == 0 ? 0 : 17));
}

TEST(Communicator, SendRecvRingWithTags) {
  const auto& w = world();
  const int next = (w.rank() + 1) % w.size();
  const int prev = (w.rank() + w.size() - 1) % w.size();
  // Two messages with different tags; receive them in the opposite order of sending.
  w.send(payload(w.rank(), 5), next, 7);
  w.send(payload(w.rank(), 9), next, 8);
  const MessageInfo info = w.probe(prev, 8);
  EXPECT_EQ(info.source, prev);
  EXPECT_EQ(info.tag, 8);
  EXPECT_EQ(info.n_bytes, 9u);
  Message b = w.recv(prev, 8);
  Message a = w.recv(kAnySource, 7);
  EXPECT_EQ(a.source, prev);
  EXPECT_EQ(a.tag, 7);
  EXPECT_EQ(a.bytes, payload(prev, 5));
  EXPECT_EQ(b.bytes, payload(prev, 9));
  // Both messages were consumed. (Only these tags: ranks that already left the barrier may have
  // sent the next test's messages.)
  w.barrier();
  EXPECT_FALSE(w.iprobe(kAnySource, 7).has_value());
  EXPECT_FALSE(w.iprobe(kAnySource, 8).has_value());
  w.barrier();
}

TEST(Communicator, EveryoneSendsToRankZero) {
  const auto& w = world();
  w.send(payload(w.rank(), 100 + w.rank()), 0, 3);
  if (w.rank() == 0) {
    std::vector<int> seen(w.size(), 0);
    for (int i = 0; i < w.size(); ++i) {
      Message m = w.recv(kAnySource, kAnyTag);
      EXPECT_EQ(m.tag, 3);
      EXPECT_EQ(m.bytes, payload(m.source, 100 + m.source));
      ++seen[m.source];
    }
    for (int r = 0; r < w.size(); ++r) EXPECT_EQ(seen[r], 1) << r;
  }
  w.barrier();
}

TEST(Communicator, SplitEvenOddReversedKeys) {
  const auto& w = world();
  const int color = w.rank() % 2;
  Communicator sub = w.split(color, -w.rank());
  int expect_size = 0, expect_rank = 0;
  for (int r = 0; r < w.size(); ++r) {
    if (r % 2 != color) continue;
    ++expect_size;
    if (r > w.rank()) ++expect_rank;  // higher world rank has a smaller key, so comes first
  }
  EXPECT_EQ(sub.size(), expect_size);
  EXPECT_EQ(sub.rank(), expect_rank);
  std::vector<double> v = {static_cast<double>(w.rank())};
  sub.all_reduce_sum(v);
  double expect = 0;
  for (int r = color; r < w.size(); r += 2) expect += r;
  EXPECT_EQ(v[0], expect);
}

TEST(Communicator, SplitNodeGroupsSameHost) {
  const auto& w = world();
  Communicator node = w.split_node();
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  const auto hosts = node.all_gather(host);
  for (const auto& h : hosts) EXPECT_EQ(h, host);
  // Every rank of the world with this host name is in the node communicator.
  const auto all = w.all_gather(host);
  int same = 0;
  for (const auto& h : all) same += h == host ? 1 : 0;
  EXPECT_EQ(node.size(), same);
}

TEST(Communicator, BadArgumentsThrowWithContext) {
  const auto& w = world();
  try {
    w.send("x", w.size(), 1);
    FAIL() << "send to an out-of-range rank did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
  EXPECT_THROW(w.send("x", 0, kMaxTag + 1), Error);
  EXPECT_THROW(w.send("x", 0, -5), Error);
  EXPECT_THROW(w.split(-1, 0), Error);
  EXPECT_THROW(w.broadcast(*std::make_unique<std::string>(), -1), Error);
}

TEST(LocalCommunicator, RecvWithoutMessageThrowsInsteadOfHanging) {
  Communicator local;
  EXPECT_STREQ(local.kind(), "local");
  local.send("hello", 0, 4);
  EXPECT_FALSE(local.iprobe(0, 5).has_value());
  EXPECT_THROW(local.recv(0, 5), Error);
  EXPECT_EQ(local.recv(0, 4).bytes, "hello");
  EXPECT_THROW(local.probe(kAnySource, kAnyTag), Error);
}

}  // namespace
}  // namespace t2::dist
