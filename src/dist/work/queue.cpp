// The work queue: coordinator loop (rank 0), leader loop, group-member loop and the inline loop.
// Wire format (little-endian, private to this file):
//   unit   (0 -> leader, tag kTagUnit):   u64 id | payload
//   result (leader -> 0, tag kTagResult): u64 id | u8 status (0 failed, 1 ok, 2 skipped) |
//                                         f64 seconds | payload or error text
//   stop   (0 -> leader, tag kTagStop):   i32 exit code
//   cancel (0 -> leader, tag kTagCancel): empty; units received from now on are skipped (a stop
//                                         request must not wait for units queued at a leader)
//   heartbeat (leader -> 0):              empty
//   wake   (leader -> member, group):     u8 kind (1 unit, 2 stop) | i32 exit code; a unit is then
//                                         broadcast in the group from the leader.
// Idle ranks wait by polling with a short sleep, so that oversubscribed runs do not starve.
//
// Testing aid: T2_TEST_UNIT_DELAY_MS=N (read here and nowhere else, once per process) makes every
// rank of a worker group (and the single process of an inline run) sleep N ms before each unit, so
// end-to-end tests can interrupt a tiny job mid-run for certain. It changes timing only: units,
// results and their order of commit per leader are the same; the per-unit seconds exclude it.
#include "dist/work/queue.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "base/bytes.h"
#include "base/error.h"
#include "base/log.h"
#include "base/timer.h"
#include "dist/work/stop_signals.h"

namespace t2::dist {
namespace {

constexpr int kTagUnit = 101;
constexpr int kTagStop = 102;
constexpr int kTagResult = 103;
constexpr int kTagHeartbeat = 104;
constexpr int kTagGroupWake = 105;
constexpr int kTagCancel = 106;
constexpr uint8_t kResultFailed = 0;
constexpr uint8_t kResultOk = 1;
constexpr uint8_t kResultSkipped = 2;
constexpr char kWakeUnit = 1;
constexpr char kWakeStop = 2;

// Sleeps a little longer each time nothing arrived; reset when something did.
class Backoff {
 public:
  void reset() { n_ = 0; }
  void wait() {
    if (n_ < 20) {
      ++n_;
      std::this_thread::yield();
      return;
    }
    const int us = std::min(1000, 20 << std::min(n_ - 20, 6));
    ++n_;
    std::this_thread::sleep_for(std::chrono::microseconds(us));
  }

 private:
  int n_ = 0;
};

Message poll_recv(const Communicator& c, int source, int tag) {
  Backoff b;
  while (!c.iprobe(source, tag)) b.wait();
  return c.recv(source, tag);
}

std::string encode_unit(const WorkUnit& u) {
  std::string s;
  put_bytes<uint64_t>(s, u.id);
  s += u.payload;
  return s;
}

WorkUnit decode_unit(const std::string& s) {
  ByteReader in(s, "work queue: unit message");
  WorkUnit u;
  u.id = in.get<uint64_t>();
  u.payload = in.rest();
  return u;
}

std::string wake(char kind, int32_t code) {
  std::string s(1, kind);
  put_bytes<int32_t>(s, code);
  return s;
}

// Sends an empty heartbeat to rank 0 every interval until destroyed.
class Heartbeat {
 public:
  Heartbeat(const Communicator& world, double interval_s) : world_(world) {
    if (interval_s <= 0 || !world.thread_multiple()) return;
    thread_ = std::thread([this, interval_s] {
      std::unique_lock lock(mutex_);
      while (!cv_.wait_for(lock, std::chrono::duration<double>(interval_s), [this] { return done_; })) {
        try {
          world_.send({}, 0, kTagHeartbeat);
        } catch (const std::exception& e) {
          T2_LOG_WARN("heartbeat to the coordinator failed: %s", e.what());
          return;
        }
      }
    });
  }
  ~Heartbeat() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  Communicator world_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

UnitResult run_unit(const WorkUnit& unit, const Communicator& group, const WorkFn& fn) {
  if (const int ms = test_unit_delay_ms(); ms > 0) {
    static const bool announced = [ms] {
      T2_LOG_WARN("T2_TEST_UNIT_DELAY_MS=%d: every work unit waits that long first (testing aid)", ms);
      return true;
    }();
    (void)announced;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  UnitResult r;
  r.id = unit.id;
  Timer t;
  try {
    r.payload = fn(unit, group);
  } catch (const std::exception& e) {
    r.ok = false;
    r.error = e.what();
  }
  r.seconds = t.seconds();
  return r;
}

void check_unique_ids(const std::vector<WorkUnit>& units) {
  std::unordered_set<uint64_t> seen;
  for (const auto& u : units) {
    T2_CHECK(seen.insert(u.id).second, "work queue: unit id %llu appears twice",
             static_cast<unsigned long long>(u.id));
  }
}

QueueStats run_inline(const WorldLayout& layout, const std::vector<WorkUnit>& units,
                      const WorkFn& fn, const ResultFn& on_result, const QueueOptions& opt) {
  QueueStats st;
  Timer wall;
  st.n_units = static_cast<int64_t>(units.size());
  st.units_per_group.assign(1, 0);
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (opt.stop_requested && opt.stop_requested()) {
      st.n_not_started = static_cast<int64_t>(units.size() - i);
      break;
    }
    const UnitResult r = run_unit(units[i], layout.group_comm, fn);
    Timer t;
    on_result(units[i], r);
    st.result_fn_s += t.seconds();
    ++st.n_finished;
    st.n_failed += r.ok ? 0 : 1;
    ++st.units_per_group[0];
  }
  st.coordinator_busy_s = st.result_fn_s;
  st.outcome = st.n_not_started > 0 ? Outcome::interrupted : Outcome::complete;
  st.exit_code = st.outcome == Outcome::interrupted ? kExitInterrupted : 0;
  st.wall_s = wall.seconds();
  return st;
}

QueueStats coordinate(const Communicator& world, const WorldLayout& layout,
                      const std::vector<WorkUnit>& units, const ResultFn& on_result,
                      const QueueOptions& opt) {
  QueueStats st;
  Timer wall;
  st.n_units = static_cast<int64_t>(units.size());
  st.units_per_group.assign(layout.n_groups, 0);
  struct Slot {
    std::deque<std::size_t> units;  // indices into units, in the order the leader runs them
    double last_seen = 0.0;
  };
  std::vector<Slot> slots(layout.n_groups);
  const std::size_t depth = static_cast<std::size_t>(std::max(1, opt.units_in_flight));
  std::deque<std::size_t> pending;
  for (std::size_t i = 0; i < units.size(); ++i) pending.push_back(i);
  int64_t in_flight = 0;
  bool stopping = false;
  double stop_at = 0.0;
  Backoff backoff;

  while (!pending.empty() || in_flight > 0) {
    if (!stopping && opt.stop_requested && opt.stop_requested()) {
      stopping = true;
      stop_at = wall.seconds();
      st.n_not_started = static_cast<int64_t>(pending.size());
      pending.clear();
      for (int g = 0; g < layout.n_groups; ++g) {
        if (slots[g].units.size() > 1) world.send({}, layout.leader_rank(g), kTagCancel);
      }
      T2_LOG_WARN("stop requested: %lld units not started, waiting up to %.1f s for %lld in flight",
                  static_cast<long long>(st.n_not_started), opt.drain_timeout_s,
                  static_cast<long long>(in_flight));
    }
    Timer busy;
    // Fill every leader to one unit first, then to the prefetch depth.
    for (std::size_t level = 1; level <= depth && !pending.empty(); ++level) {
      for (int g = 0; g < layout.n_groups && !pending.empty(); ++g) {
        if (slots[g].units.size() >= level) continue;
        const std::size_t u = pending.front();
        pending.pop_front();
        world.send(encode_unit(units[u]), layout.leader_rank(g), kTagUnit);
        if (slots[g].units.empty()) slots[g].last_seen = wall.seconds();
        slots[g].units.push_back(u);
        ++in_flight;
      }
    }
    st.coordinator_busy_s += busy.seconds();
    if (in_flight == 0) break;
    // Not counted as busy: an empty probe (MPI may yield the CPU inside it when oversubscribed).
    if (const auto info = world.iprobe(kAnySource, kAnyTag)) {
      backoff.reset();
      busy.reset();
      const Message m = world.recv(info->source, info->tag);
      const int g = layout.group_of_leader(m.source);
      // A heartbeat may outlive the run that sent it (a later run on the same world may have
      // another layout): ignore it unless its sender leads a group now.
      if (m.tag == kTagHeartbeat && g < 0) continue;
      T2_CHECK(g >= 0, "work queue: message with tag %d from rank %d, which leads no group", m.tag,
               m.source);
      slots[g].last_seen = wall.seconds();
      if (m.tag == kTagResult) {
        ByteReader in(m.bytes, "work queue: result message");
        UnitResult r;
        r.id = in.get<uint64_t>();
        const auto status = in.get<uint8_t>();
        r.ok = status == kResultOk;
        r.seconds = in.get<double>();
        (r.ok ? r.payload : r.error) = in.rest();
        r.worker_rank = m.source;
        T2_CHECK(!slots[g].units.empty() && units[slots[g].units.front()].id == r.id,
                 "work queue: rank %d returned unit %llu, which it was not running next",
                 m.source, static_cast<unsigned long long>(r.id));
        const WorkUnit& unit = units[slots[g].units.front()];
        slots[g].units.pop_front();
        --in_flight;
        if (status == kResultSkipped) {  // cancelled after a stop request: never started
          ++st.n_not_started;
          st.coordinator_busy_s += busy.seconds();
          continue;
        }
        Timer t;
        on_result(unit, r);
        st.result_fn_s += t.seconds();
        ++st.n_finished;
        st.n_failed += r.ok ? 0 : 1;
        ++st.units_per_group[g];
      } else {
        T2_CHECK(m.tag == kTagHeartbeat, "work queue: unexpected tag %d from rank %d", m.tag,
                 m.source);
      }
      st.coordinator_busy_s += busy.seconds();
      continue;
    }
    const double now = wall.seconds();
    for (int g = 0; g < layout.n_groups; ++g) {
      if (slots[g].units.empty() || opt.silence_timeout_s <= 0) continue;
      const double silent = now - slots[g].last_seen;
      T2_CHECK(silent <= opt.silence_timeout_s,
               "worker rank %d (leader of group %d) has been silent for %.1f s while running unit "
               "%llu (limit %.1f s): the process is stopped, hung or dead",
               layout.leader_rank(g), g, silent,
               static_cast<unsigned long long>(units[slots[g].units.front()].id),
               opt.silence_timeout_s);
    }
    if (stopping && now - stop_at > opt.drain_timeout_s) {
      st.n_abandoned = in_flight;
      st.must_abort = true;
      T2_LOG_WARN("drain timeout: abandoning %lld units still in flight",
                  static_cast<long long>(in_flight));
      break;
    }
    backoff.wait();
  }
  const bool interrupted = st.n_not_started > 0 || st.n_abandoned > 0;
  st.outcome = interrupted ? Outcome::interrupted : Outcome::complete;
  st.exit_code = interrupted ? kExitInterrupted : 0;
  std::string stop;
  put_bytes<int32_t>(stop, st.exit_code);
  for (int g = 0; g < layout.n_groups; ++g) {
    if (slots[g].units.empty()) world.send(stop, layout.leader_rank(g), kTagStop);
  }
  st.wall_s = wall.seconds();
  return st;
}

QueueStats lead(const Communicator& world, const WorldLayout& layout, const WorkFn& fn,
                const QueueOptions& opt) {
  QueueStats st;
  Timer wall;
  Heartbeat heartbeat(world, opt.silence_timeout_s > 0 ? opt.heartbeat_s : 0.0);
  const Communicator& group = layout.group_comm;
  bool cancelled = false;
  for (;;) {
    Message m = poll_recv(world, 0, kAnyTag);
    if (m.tag == kTagCancel) {
      cancelled = true;
      continue;
    }
    if (m.tag == kTagStop) {
      // A cancel that came after this leader had started its last unit is still queued (sent
      // before the stop, so it has arrived): consume it so it cannot affect a later run.
      while (world.iprobe(0, kTagCancel)) world.recv(0, kTagCancel);
      st.exit_code = ByteReader(m.bytes, "work queue: stop message").get<int32_t>();
      for (int r = 1; r < group.size(); ++r) group.send(wake(kWakeStop, st.exit_code), r, kTagGroupWake);
      break;
    }
    T2_CHECK(m.tag == kTagUnit, "work queue: unexpected tag %d from the coordinator", m.tag);
    if (!cancelled && world.iprobe(0, kTagCancel)) {
      world.recv(0, kTagCancel);
      cancelled = true;
    }
    if (cancelled) {
      std::string out;
      put_bytes<uint64_t>(out, decode_unit(m.bytes).id);
      put_bytes<uint8_t>(out, kResultSkipped);
      put_bytes<double>(out, 0.0);
      world.send(out, 0, kTagResult);
      continue;
    }
    if (group.size() > 1) {
      for (int r = 1; r < group.size(); ++r) group.send(wake(kWakeUnit, 0), r, kTagGroupWake);
      group.broadcast(m.bytes, 0);
    }
    const UnitResult r = run_unit(decode_unit(m.bytes), group, fn);
    std::string out;
    put_bytes<uint64_t>(out, r.id);
    put_bytes<uint8_t>(out, r.ok ? kResultOk : kResultFailed);
    put_bytes<double>(out, r.seconds);
    out += r.ok ? r.payload : r.error;
    world.send(out, 0, kTagResult);
    ++st.n_finished;
    st.n_failed += r.ok ? 0 : 1;
  }
  st.outcome = st.exit_code == 0 ? Outcome::complete : Outcome::interrupted;
  st.wall_s = wall.seconds();
  return st;
}

QueueStats follow(const WorldLayout& layout, const WorkFn& fn) {
  QueueStats st;
  Timer wall;
  const Communicator& group = layout.group_comm;
  for (;;) {
    const Message w = poll_recv(group, 0, kTagGroupWake);
    T2_CHECK(!w.bytes.empty(), "work queue: empty wake message");
    const int32_t code = ByteReader(std::string_view(w.bytes).substr(1), "work queue: wake message").get<int32_t>();
    if (w.bytes[0] == kWakeStop) {
      st.exit_code = code;
      break;
    }
    std::string bytes;
    group.broadcast(bytes, 0);
    const UnitResult r = run_unit(decode_unit(bytes), group, fn);
    if (!r.ok) T2_LOG_WARN("unit %llu failed on a group member: %s",
                           static_cast<unsigned long long>(r.id), r.error.c_str());
    ++st.n_finished;
  }
  st.outcome = st.exit_code == 0 ? Outcome::complete : Outcome::interrupted;
  st.wall_s = wall.seconds();
  return st;
}

}  // namespace

// The testing hold (file comment): T2_TEST_UNIT_DELAY_MS, validated once.
int test_unit_delay_ms() {
  static const int ms = [] {
    const char* v = std::getenv("T2_TEST_UNIT_DELAY_MS");
    if (v == nullptr || *v == '\0') return 0;
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(v, &end, 10);
    T2_CHECK(errno == 0 && *end == '\0' && n >= 0 && n <= 600000,
             "T2_TEST_UNIT_DELAY_MS='%s': expected whole milliseconds from 0 to 600000", v);
    return static_cast<int>(n);
  }();
  return ms;
}

QueueStats run_work_queue(const Communicator& world, const WorldLayout& layout,
                          const std::vector<WorkUnit>& units, const WorkFn& fn,
                          const ResultFn& on_result, const QueueOptions& options) {
  T2_CHECK(world.size() == layout.world_size,
           "work queue: layout made for %d ranks used with a world of %d", layout.world_size,
           world.size());
  test_unit_delay_ms();  // a malformed testing hold fails here, on every rank alike
  switch (layout.role) {
    case Role::inline_single:
      check_unique_ids(units);
      return run_inline(layout, units, fn, on_result, options);
    case Role::coordinator:
      check_unique_ids(units);
      return coordinate(world, layout, units, on_result, options);
    case Role::worker:
      return layout.is_leader() ? lead(world, layout, fn, options) : follow(layout, fn);
  }
  T2_FAIL("work queue: unknown role");
}

}  // namespace t2::dist
