// Work queue and world layout tests, built for the local communicator (inline mode) and under
// mpirun (coordinator + groups, with --tp 2 where the world size allows). The unit function is a
// deterministic toy whose tensor-parallel version splits its terms over the group and all-reduces,
// so every layout must return the same bytes as a direct single-process computation.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <chrono>
#include <map>
#include <thread>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/rng.h"
#include "dist/work/layout.h"
#include "dist/work/queue.h"
#include "dist/work/stop_signals.h"
#include "test_world.h"

namespace t2::dist {
namespace {

using test::world;

constexpr int kTerms = 12;

// The reference: sum of kTerms integer-valued terms of (unit id, payload) — exact in any order.
double term(uint64_t id, int k, const std::string& payload) {
  Rng rng = Rng::stream(42, id * 131 + k, RngPurpose::generic);
  return static_cast<double>(rng.below(1000)) + static_cast<double>(payload.size() * k);
}

std::string direct_result(const WorkUnit& u) {
  double s = 0;
  for (int k = 0; k < kTerms; ++k) s += term(u.id, k, u.payload);
  return std::to_string(u.id) + ":" + std::to_string(static_cast<long long>(s));
}

// Tensor-parallel version: rank r of the group takes the terms k ≡ r (mod group size).
std::string group_result(const WorkUnit& u, const Communicator& group) {
  double s[1] = {0};
  for (int k = group.rank(); k < kTerms; k += group.size()) s[0] += term(u.id, k, u.payload);
  group.all_reduce_sum(s);
  if (u.payload == "fail") T2_FAIL("unit %llu asked to fail", static_cast<unsigned long long>(u.id));
  return std::to_string(u.id) + ":" + std::to_string(static_cast<long long>(s[0]));
}

std::vector<WorkUnit> make_units(int n) {
  std::vector<WorkUnit> units;
  for (int i = 0; i < n; ++i) {
    // Non-contiguous ids, payloads of varying length.
    units.push_back(WorkUnit{static_cast<uint64_t>(1000 + 7 * i), std::string(i % 13, 'a' + i % 26)});
  }
  return units;
}

std::vector<int> tp_choices() {
  std::vector<int> tps = {1};
  const int n = world().size();
  if (n > 1 && (n - 1) % 2 == 0 && n - 1 >= 2) tps.push_back(2);
  return tps;
}

TEST(WorldLayout, CoordinatorAndGroups) {
  for (int tp : tp_choices()) {
    const WorldLayout l = make_layout(world(), tp);
    EXPECT_EQ(l.world_size, world().size());
    if (world().size() == 1) {
      EXPECT_EQ(l.role, Role::inline_single);
      EXPECT_TRUE(l.is_leader());
      continue;
    }
    EXPECT_EQ(l.n_groups, (world().size() - 1) / tp);
    if (world().rank() == 0) {
      EXPECT_EQ(l.role, Role::coordinator);
      EXPECT_FALSE(l.is_leader());
    } else {
      EXPECT_EQ(l.role, Role::worker);
      EXPECT_EQ(l.group_comm.size(), tp);
      EXPECT_EQ(l.group_comm.rank(), l.group_rank);
      EXPECT_EQ(l.leader_rank(l.group) + l.group_rank, world().rank());
      EXPECT_EQ(l.group_of_leader(world().rank()), l.group_rank == 0 ? l.group : -1);
    }
  }
}

TEST(WorldLayout, RejectsSizesThatDoNotFit) {
  const int n = world().size();
  // A tp that does not divide the workers (or any tp > 1 with one process).
  const int bad_tp = n == 1 ? 2 : n;  // n > n - 1 workers
  try {
    make_layout(world(), bad_tp);
    FAIL() << "tp " << bad_tp << " accepted for world size " << n;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--tp"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_layout(world(), 0), Error);
}

TEST(WorkQueue, EveryUnitExactlyOnceWithSameResults) {
  const auto units = make_units(97);
  for (int tp : tp_choices()) {
    const WorldLayout l = make_layout(world(), tp);
    std::map<uint64_t, int> calls;
    std::map<uint64_t, std::string> got;
    const QueueStats st = run_work_queue(
        world(), l, world().rank() == 0 ? units : std::vector<WorkUnit>{}, group_result,
        [&](const WorkUnit& u, const UnitResult& r) {
          ++calls[u.id];
          EXPECT_EQ(u.id, r.id);
          EXPECT_TRUE(r.ok) << r.error;
          got[u.id] = r.payload;
        });
    EXPECT_EQ(st.exit_code, 0);
    EXPECT_EQ(st.outcome, Outcome::complete);
    if (world().rank() != 0) continue;
    EXPECT_EQ(st.n_units, 97);
    EXPECT_EQ(st.n_finished, 97);
    ASSERT_EQ(calls.size(), units.size()) << "tp " << tp;
    int64_t per_group = 0;
    for (auto n : st.units_per_group) per_group += n;
    EXPECT_EQ(per_group, 97);
    for (const auto& u : units) {
      EXPECT_EQ(calls[u.id], 1) << u.id;
      EXPECT_EQ(got[u.id], direct_result(u)) << "tp " << tp << " unit " << u.id;
    }
  }
}

TEST(WorkQueue, FailingUnitsBecomeErrorResultsAndTheRunGoesOn) {
  auto units = make_units(20);
  units[3].payload = "fail";
  units[11].payload = "fail";
  const WorldLayout l = make_layout(world(), 1);
  int n_ok = 0, n_bad = 0;
  const QueueStats st = run_work_queue(world(), l, units, group_result,
                                       [&](const WorkUnit& u, const UnitResult& r) {
                                         if (r.ok) {
                                           ++n_ok;
                                           EXPECT_EQ(r.payload, direct_result(u));
                                         } else {
                                           ++n_bad;
                                           EXPECT_EQ(u.payload, "fail");
                                           EXPECT_NE(r.error.find("asked to fail"), std::string::npos);
                                         }
                                       });
  if (world().rank() == 0) {
    EXPECT_EQ(n_ok, 18);
    EXPECT_EQ(n_bad, 2);
    EXPECT_EQ(st.n_failed, 2);
  }
}

TEST(WorkQueue, StopRequestEndsEarlyWithInterruptedStatus) {
  const auto units = make_units(60);
  const WorldLayout l = make_layout(world(), 1);
  int delivered = 0;
  QueueOptions opt;
  opt.stop_requested = [&] { return delivered >= 10; };
  const QueueStats st = run_work_queue(world(), l, units, group_result,
                                       [&](const WorkUnit&, const UnitResult&) { ++delivered; },
                                       opt);
  EXPECT_EQ(st.exit_code, kExitInterrupted);
  EXPECT_EQ(st.outcome, Outcome::interrupted);
  if (world().rank() == 0) {
    EXPECT_GE(delivered, 10);
    // After the request only units already running (one per leader, or two when a leader started
    // its queued unit before the cancel arrived) may still be delivered.
    EXPECT_LE(delivered, 10 + 2 * std::max(1, l.n_groups));
    EXPECT_EQ(st.n_finished + st.n_not_started + st.n_abandoned, 60);
    EXPECT_FALSE(st.must_abort);
  }
}

TEST(WorkQueue, BackToBackRunsAfterAStopAreUnaffected) {
  // Frequent heartbeats and a stop leave stray messages (heartbeats, a late cancel); the next runs,
  // with another layout where possible, must still deliver every unit exactly once.
  const auto units = make_units(40);
  QueueOptions opt;
  opt.heartbeat_s = 0.001;
  int delivered = 0;
  opt.stop_requested = [&] { return delivered >= 5; };
  const WorkFn slow = [](const WorkUnit& u, const Communicator& g) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    return group_result(u, g);
  };
  run_work_queue(world(), make_layout(world(), 1), units, slow,
                 [&](const WorkUnit&, const UnitResult&) { ++delivered; }, opt);
  opt.stop_requested = nullptr;
  for (int tp : tp_choices()) {
    std::map<uint64_t, int> calls;
    const QueueStats st = run_work_queue(world(), make_layout(world(), tp), units, slow,
                                         [&](const WorkUnit& u, const UnitResult& r) {
                                           ++calls[u.id];
                                           EXPECT_EQ(r.payload, direct_result(u));
                                         },
                                         opt);
    EXPECT_EQ(st.exit_code, 0);
    if (world().rank() != 0) continue;
    EXPECT_EQ(calls.size(), units.size()) << "tp " << tp;
    for (const auto& [id, n] : calls) EXPECT_EQ(n, 1) << id;
  }
}

TEST(WorkQueue, DuplicateIdsRejected) {
  std::vector<WorkUnit> units = {{5, "a"}, {5, "b"}};
  const WorldLayout l = make_layout(Communicator(), 1);
  EXPECT_THROW(run_work_queue(Communicator(), l, units, group_result,
                              [](const WorkUnit&, const UnitResult&) {}),
               Error);
}

TEST(StopSignals, SigtermSetsTheFlagInsteadOfKilling) {
  StopSignals signals;
  StopSignals::reset();
  EXPECT_FALSE(StopSignals::requested());
  raise(SIGUSR1);
  EXPECT_TRUE(StopSignals::requested());
  EXPECT_EQ(StopSignals::signal_number(), SIGUSR1);
  StopSignals::reset();
  raise(SIGTERM);
  EXPECT_EQ(StopSignals::signal_number(), SIGTERM);
  StopSignals::reset();
}

}  // namespace
}  // namespace t2::dist
