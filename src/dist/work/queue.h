// The coordinator/worker work queue. Rank 0 holds opaque work units (id + bytes) and hands them to
// group leaders as they finish earlier ones (dynamic: units may cost very different times; each
// leader holds at most units_in_flight, default 2, so it never waits for rank 0 between units); a leader
// broadcasts its unit inside its group, every group rank runs the unit function with the group
// communicator (tensor parallelism), and the leader returns the result bytes to rank 0 only.
// Rank 0 calls the result callback exactly once per finished unit; it is the place to commit results
// (the report). This layer knows nothing about tasks, models or reports.
//
// Failure handling:
//  - a unit function that throws on the leader becomes a failed UnitResult (error text), the run
//    goes on; (in a group, every rank must throw or none: a partial failure inside tensor-parallel
//    collectives cannot be recovered here);
//  - a leader that sends nothing (no result, no heartbeat) for silence_timeout_s while it holds a unit
//    makes run_work_queue throw t2::Error on rank 0 naming the rank; the caller publishes what it
//    has and aborts the job (world.abort), since the silent rank cannot join a clean shutdown;
//  - a stop request (StopSignals) makes rank 0 hand out nothing more, wait up to drain_timeout_s for
//    units in flight, tell every leader to stop and return with outcome interrupted.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dist/comm/communicator.h"
#include "dist/work/layout.h"

namespace t2::dist {

struct WorkUnit {
  uint64_t id = 0;      // caller-chosen, unique within a run
  std::string payload;  // opaque to the queue
};

struct UnitResult {
  uint64_t id = 0;
  bool ok = true;
  std::string payload;   // the unit function's return value when ok
  std::string error;     // the exception text when !ok
  int worker_rank = 0;   // world rank of the leader that ran it (0 inline)
  double seconds = 0.0;  // time the unit function took on the leader
};

// Runs one unit on every rank of a group; group.rank() == 0 is the leader, whose return value is
// the unit's result (other ranks' return values are ignored). Throw t2::Error to fail the unit.
using WorkFn = std::function<std::string(const WorkUnit& unit, const Communicator& group)>;
// Rank 0 only: called once per finished unit, in completion order, from the coordinator thread.
using ResultFn = std::function<void(const WorkUnit& unit, const UnitResult& result)>;

struct QueueOptions {
  // A leader holding a unit that sends nothing for this long is declared silent (0 = never).
  // Leaders send heartbeats every heartbeat_s while MPI grants MPI_THREAD_MULTIPLE, so silence
  // then means a stopped or wedged process, not a long unit; without heartbeats this bounds a unit.
  double silence_timeout_s = 120.0;
  double heartbeat_s = 2.0;
  // Units queued at each leader: 2 lets a leader start its next unit while rank 0 commits the
  // previous result (hides the coordinator's latency); 1 is strictly one unit at a time.
  int units_in_flight = 2;
  // After a stop request: how long to wait for units in flight before abandoning them.
  double drain_timeout_s = 20.0;
  // Polled at unit boundaries on rank 0 (e.g. StopSignals::requested). Empty = never stop.
  std::function<bool()> stop_requested;
};

enum class Outcome { complete, interrupted };

struct QueueStats {
  Outcome outcome = Outcome::complete;
  int64_t n_units = 0;      // units given to the queue (rank 0)
  int64_t n_finished = 0;   // results delivered to the ResultFn (ok or failed)
  int64_t n_failed = 0;     // of which the unit function threw
  int64_t n_abandoned = 0;  // in flight when the drain timeout expired (not delivered)
  int64_t n_not_started = 0;
  // Rank 0: seconds spent handling units (dispatch, receive and decode, ResultFn; not waiting or
  // probing), and in ResultFn alone.
  double coordinator_busy_s = 0.0;
  double result_fn_s = 0.0;
  double wall_s = 0.0;
  std::vector<int64_t> units_per_group;  // rank 0
  // True on rank 0 when leaders are still busy with abandoned units: after publishing its files the
  // caller must end the job with world.abort(kExitInterrupted), as a clean finalize would wait.
  bool must_abort = false;
  // The status this rank should exit with: 0 complete, kExitInterrupted when stopped early.
  int exit_code = 0;
};

// The testing hold T2_TEST_UNIT_DELAY_MS (docs/eval.md) in milliseconds, 0 when unset. Throws
// t2::Error unless it is whole milliseconds from 0 to 600000; t2's main() calls it before any
// command runs, so a malformed value stops the run before it creates outputs.
int test_unit_delay_ms();

// Collective over the world: every rank calls it with the same layout. units and on_result are used
// on rank 0 only (ids must be unique); fn runs on worker ranks (and inline with one process).
QueueStats run_work_queue(const Communicator& world, const WorldLayout& layout,
                          const std::vector<WorkUnit>& units, const WorkFn& fn,
                          const ResultFn& on_result, const QueueOptions& options = {});

}  // namespace t2::dist
