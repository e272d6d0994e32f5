// t2_dist_toy: the distributed machinery end to end on a deterministic toy workload, for the fault
// and load tests (tests/dist/fault_test.sh). Rank 0 builds work units from the samples a report has
// not committed yet, the work queue runs them on worker groups, and the coordinator commits each
// unit's records to the report. A sample's record is a pure function of (seed, task, index); with
// --tp > 1 the group computes it through an all-reduce. Its simulated pass times are recorded and
// slept (scaled by --cost-ms), so reports of different runs are equal field for field.
//
//   t2_dist_toy --out R.h5 [--samples N] [--tp T] [--unit-size U] [--resume] ...
//   t2_dist_toy --dump R.h5 [--expect-samples N]   canonical text of a report, exactly-once check
#include <unistd.h>  // getpid, gethostname

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "base/error.h"
#include "base/log.h"
#include "base/rng.h"
#include "dist/comm/communicator.h"
#include "dist/work/layout.h"
#include "dist/work/queue.h"
#include "dist/work/stop_signals.h"
#include "io/report.h"
#ifdef T2_HAVE_MPI
#include "dist/comm/mpi_comm.h"
#endif

namespace po = boost::program_options;
using namespace t2;

namespace {

struct Options {
  std::string out, dump, pid_dir, stats_json;
  int64_t samples = 200, expect_samples = -1;
  int tasks = 2, tp = 1, unit_size = 4, fail_every = 0;
  uint64_t seed = 1234;
  double cost_ms = 0.0, sync_s = 0.0, silence_s = 30.0, heartbeat_s = 0.5, drain_s = 10.0;
  bool resume = false;
};

std::string task_name(int t) { return std::string("toy_") + static_cast<char>('a' + t); }

// The toy "evaluation" of one sample; terms k ≡ group rank (mod group size) are summed here and
// all-reduced, so any tp gives the same integer-valued sum.
io::SampleRecord evaluate(const Options& o, const std::string& task, int64_t index,
                          const dist::Communicator& group) {
  const uint64_t item = hash_string(task) ^ static_cast<uint64_t>(index);
  double sum[1] = {0};
  for (int k = group.rank(); k < 16; k += group.size())
    sum[0] += static_cast<double>(Rng::stream(o.seed, item * 16 + k, RngPurpose::generic).below(100));
  group.all_reduce_sum(sum);
  Rng rng = Rng::stream(o.seed, item, RngPurpose::sampling);
  io::SampleRecord r;
  r.task = task;
  r.index = index;
  r.id = task + "/" + std::to_string(index);
  static const char* kLabels[] = {"math", "code", "reasoning", "other"};
  r.label = kLabels[rng.below(4)];
  r.expert = r.label == std::string("other") ? "base" : r.label;
  r.prediction = std::to_string(static_cast<long long>(sum[0]));
  r.correct = static_cast<long long>(sum[0]) % 3 != 0;
  r.prompt_tokens = static_cast<int32_t>(20 + rng.below(200));
  r.generated_tokens = static_cast<int32_t>(1 + rng.below(64));
  r.pass1_s = 0.001 * (1 + static_cast<double>(rng.below(10)));
  r.pass2_s = 0.001 * (5 + static_cast<double>(rng.below(50)));
  r.text = "toy answer " + r.prediction + " for " + r.id;
  if (o.fail_every > 0 && index % o.fail_every == o.fail_every - 1) {
    r.status = "error: toy failure";
    r.correct = false;
  }
  if (o.cost_ms > 0) {
    const double s = (r.pass1_s + r.pass2_s) / 0.03 * o.cost_ms * 1e-3;  // mean ≈ cost_ms
    std::this_thread::sleep_for(std::chrono::duration<double>(s));
  }
  return r;
}

std::string encode_ids(const std::vector<std::pair<std::string, int64_t>>& ids) {
  std::string s;
  for (const auto& [task, i] : ids) s += task + "\t" + std::to_string(i) + "\n";
  return s;
}

int dump(const Options& o) {
  const io::ReportData d = io::read_report(o.dump);
  int64_t n = 0;
  bool ok = true;
  for (const auto& [task, rows] : d.tasks) {
    std::map<int64_t, const io::SampleRecord*> by_index;
    for (const auto& r : rows) {
      if (!by_index.emplace(r.index, &r).second) {
        std::fprintf(stderr, "duplicate sample %s/%lld\n", task.c_str(), static_cast<long long>(r.index));
        ok = false;
      }
    }
    for (const auto& [i, r] : by_index) {
      std::printf("%s\t%lld\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%d\t%.6f\t%.6f\t%s\n", task.c_str(),
                  static_cast<long long>(i), r->id.c_str(), r->label.c_str(), r->expert.c_str(),
                  r->prediction.c_str(), r->correct ? 1 : 0, r->status.c_str(), r->prompt_tokens,
                  r->generated_tokens, r->pass1_s, r->pass2_s, r->text.c_str());
    }
    n += static_cast<int64_t>(by_index.size());
    const auto s = d.summaries.find(task);
    if (s != d.summaries.end() && s->second.n != static_cast<int64_t>(rows.size())) {
      std::fprintf(stderr, "summary of %s counts %lld samples, table has %zu\n", task.c_str(),
                   static_cast<long long>(s->second.n), rows.size());
      ok = false;
    }
  }
  std::fprintf(stderr, "report %s: status %s, %lld samples, %lld segments\n", o.dump.c_str(),
               d.status.c_str(), static_cast<long long>(n), static_cast<long long>(d.n_segments));
  if (o.expect_samples >= 0 && n != o.expect_samples) {
    std::fprintf(stderr, "expected %lld samples, found %lld\n", static_cast<long long>(o.expect_samples),
                 static_cast<long long>(n));
    ok = false;
  }
  return ok ? 0 : 1;
}

int run(const Options& o, const dist::Communicator& world) {
  dist::StopSignals signals;
  if (!o.pid_dir.empty()) {
    std::ofstream(o.pid_dir + "/rank" + std::to_string(world.rank()) + ".pid") << getpid() << "\n";
  }
  const dist::WorldLayout layout = dist::make_layout(world, o.tp);
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  const auto hosts = world.all_gather(host);
  std::optional<io::ReportWriter> report;
  std::vector<dist::WorkUnit> units;
  try {
    if (world.rank() == 0) {
      io::RunInfo info;
      info.command = "t2_dist_toy";
      std::ostringstream cfg;
      cfg << "samples = " << o.samples << "\ntasks = " << o.tasks << "\nseed = " << o.seed
          << "\nfail-every = " << o.fail_every << "\n";
      info.config = cfg.str();
      info.version = "toy";
      info.git_revision = "n/a";
      info.fingerprints["toy"] = std::to_string(o.seed);
      info.world_size = world.size();
      info.tp = o.tp;
      const std::set<std::string> unique_hosts(hosts.begin(), hosts.end());
      info.hosts.assign(unique_hosts.begin(), unique_hosts.end());
      info.start_time = io::utc_now_iso8601();
      io::ReportOptions ro;
      ro.sync_interval_s = o.sync_s;
      report = o.resume ? io::ReportWriter::resume(o.out, info, ro)
                        : io::ReportWriter::create(o.out, info, ro);
      std::vector<std::pair<std::string, int64_t>> todo;
      for (int64_t i = 0; i < o.samples; ++i) {
        const std::string task = task_name(static_cast<int>(i % o.tasks));
        if (!report->is_committed(task, i)) todo.emplace_back(task, i);
      }
      for (std::size_t i = 0; i < todo.size(); i += o.unit_size) {
        const std::vector<std::pair<std::string, int64_t>> part(
            todo.begin() + i, todo.begin() + std::min(todo.size(), i + o.unit_size));
        units.push_back(dist::WorkUnit{units.size(), encode_ids(part)});
      }
      T2_LOG_INFO("%zu samples to do in %zu units on %d group(s) of %d", todo.size(), units.size(),
                  layout.n_groups, o.tp);
    }
    const dist::WorkFn fn = [&o](const dist::WorkUnit& unit, const dist::Communicator& group) {
      std::vector<io::SampleRecord> recs;
      std::istringstream in(unit.payload);
      std::string task;
      int64_t index = 0;
      while (in >> task >> index) recs.push_back(evaluate(o, task, index, group));
      return io::encode_records(recs);
    };
    const dist::ResultFn on_result = [&](const dist::WorkUnit& unit, const dist::UnitResult& r) {
      if (r.ok) {
        report->commit(io::decode_records(r.payload, "unit result"));
        return;
      }
      std::vector<io::SampleRecord> recs;  // the whole unit failed: one error record per sample
      std::istringstream in(unit.payload);
      io::SampleRecord e;
      while (in >> e.task >> e.index) {
        e.status = "error: " + r.error;
        recs.push_back(e);
      }
      report->commit(recs);
    };
    dist::QueueOptions qo;
    qo.silence_timeout_s = o.silence_s;
    qo.heartbeat_s = o.heartbeat_s;
    qo.drain_timeout_s = o.drain_s;
    qo.stop_requested = [] { return dist::StopSignals::requested(); };
    const dist::QueueStats st = dist::run_work_queue(world, layout, units, fn, on_result, qo);
    if (world.rank() == 0) {
      report->finish(st.outcome == dist::Outcome::complete ? io::RunStatus::complete
                                                           : io::RunStatus::interrupted);
      const double per_unit_us = st.n_finished > 0 ? 1e6 * st.coordinator_busy_s / st.n_finished : 0;
      const double commit_us = st.n_finished > 0 ? 1e6 * st.result_fn_s / st.n_finished : 0;
      T2_LOG_INFO("%s: %lld units finished (%lld failed, %lld not started, %lld abandoned) in %.3f s; "
                  "coordinator busy %.1f us/unit (of which report commit %.1f us)",
                  st.outcome == dist::Outcome::complete ? "complete" : "interrupted",
                  static_cast<long long>(st.n_finished), static_cast<long long>(st.n_failed),
                  static_cast<long long>(st.n_not_started), static_cast<long long>(st.n_abandoned),
                  st.wall_s, per_unit_us, commit_us);
      if (!o.stats_json.empty()) {
        std::ofstream(o.stats_json) << "{\"units\": " << st.n_finished << ", \"wall_s\": " << st.wall_s
                                    << ", \"busy_us_per_unit\": " << per_unit_us
                                    << ", \"commit_us_per_unit\": " << commit_us << "}\n";
      }
    }
    if (st.must_abort) world.abort(st.exit_code);
    return st.exit_code;
  } catch (const std::exception& e) {
    T2_LOG_ERROR("%s", e.what());
    if (report) {
      try {
        report->finish(io::RunStatus::failed);
      } catch (const std::exception& e2) {
        T2_LOG_ERROR("could not publish the report: %s", e2.what());
      }
    }
    if (world.size() > 1) world.abort(1);  // other ranks may wait forever otherwise
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  po::options_description desc("t2_dist_toy options");
  desc.add_options()("help", "show this help")
      ("out", po::value(&o.out), "report to write (HDF5); its journal is OUT.journal")
      ("resume", po::bool_switch(&o.resume), "continue the report at --out")
      ("samples", po::value(&o.samples)->default_value(o.samples), "number of samples")
      ("tasks", po::value(&o.tasks)->default_value(o.tasks), "number of toy tasks (1..26)")
      ("seed", po::value(&o.seed)->default_value(o.seed), "job seed")
      ("fail-every", po::value(&o.fail_every)->default_value(0), "every Mth sample is an error record")
      ("tp", po::value(&o.tp)->default_value(1), "ranks per worker group")
      ("unit-size", po::value(&o.unit_size)->default_value(o.unit_size), "samples per work unit")
      ("sync-interval", po::value(&o.sync_s)->default_value(0.0),
       "journal fdatasync at most every S seconds (0: every commit)")
      ("cost-ms", po::value(&o.cost_ms)->default_value(0.0), "mean sleep per sample (ms)")
      ("silence-timeout", po::value(&o.silence_s)->default_value(o.silence_s), "seconds")
      ("heartbeat", po::value(&o.heartbeat_s)->default_value(o.heartbeat_s), "seconds")
      ("drain-timeout", po::value(&o.drain_s)->default_value(o.drain_s), "seconds")
      ("pid-dir", po::value(&o.pid_dir), "write rankN.pid files here (for fault tests)")
      ("stats-json", po::value(&o.stats_json), "write coordinator statistics here")
      ("dump", po::value(&o.dump), "print a report's records sorted by (task, index) and exit")
      ("expect-samples", po::value(&o.expect_samples), "with --dump: fail unless this many samples");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    if (!o.dump.empty()) return dump(o);
    T2_CHECK(!o.out.empty(), "--out is required");
    T2_CHECK(o.tasks >= 1 && o.tasks <= 26 && o.unit_size >= 1 && o.samples >= 0,
             "--tasks must be in 1..26, --unit-size >= 1, --samples >= 0");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "t2_dist_toy: error: %s\n", e.what());
    return 2;
  }
#ifdef T2_HAVE_MPI
  if (dist::launched_by_mpi()) {
    dist::MpiGuard guard(argc, argv);
    const dist::Communicator world = dist::mpi_world();
    log::set_rank(world.rank(), world.size());
    return run(o, world);
  }
#endif
  return run(o, dist::Communicator());
}
