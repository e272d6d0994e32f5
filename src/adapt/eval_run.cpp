// The coordinator/worker orchestration of `t2 eval`; see eval_run.h.
#include "adapt/eval_run.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>

#include "adapt/dispatch.h"
#include "adapt/eval_batch.h"
#include "adapt/task_data.h"
#include "base/error.h"
#include "base/hash.h"  // file_fingerprint
#include "base/log.h"
#include "base/progress.h"
#include "base/timer.h"
#include "dist/work/layout.h"
#include "dist/work/queue.h"
#include "dist/work/stop_signals.h"
#include "io/report.h"
#include "io/report_table.h"
#include "model/fingerprint.h"
#include "model/llama/model.h"
#include "model/llava/checkpoint.h"  // load_model
#include "svf/svd_store.h"

namespace t2::adapt {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string encode_unit(size_t task, const std::vector<int64_t>& indices) {
  std::string s = std::to_string(task);
  for (int64_t i : indices) s += " " + std::to_string(i);
  return s;
}

void decode_unit(const std::string& payload, size_t& task, std::vector<int64_t>& indices) {
  std::istringstream in(payload);
  T2_CHECK(static_cast<bool>(in >> task), "malformed work unit '%.40s'", payload.c_str());
  indices.clear();
  int64_t i = 0;
  while (in >> i) indices.push_back(i);
}

StrategyKind eval_strategy_kind(const EvalConfig& c) {
  if (c.strategy == "prompt") return StrategyKind::prompt;
  if (c.strategy == "classifier") return StrategyKind::classifier;
  if (!c.expert.empty()) return StrategyKind::expert;
  if (!c.mixture.empty()) return StrategyKind::mixture;
  return StrategyKind::base;
}

// The experts the strategy needs, validated against the store (and, on workers, the model).
svf::ExpertBank load_eval_bank(const EvalConfig& c, const model::LlamaModel& model) {
  std::vector<std::pair<std::string, std::string>> experts = c.experts;
  if (!c.expert.empty()) experts.emplace_back("expert", c.expert);
  if (!c.cls_expert.empty()) experts.emplace_back("cls", c.cls_expert);
  const svf::SvdStore store = svf::SvdStore::open(c.svd);
  svf::ExpertBank bank = svf::ExpertBank::load(store, experts, c.mixture);
  bank.load_factors(store, model);
  return bank;
}

std::string stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

}  // namespace

int run_eval(const EvalConfig& cfg, const dist::Communicator& world, const BuildInfo& build) {
  check_valid(cfg);
  const dist::WorldLayout layout = dist::make_layout(world, cfg.tp);
  const bool coordinates = layout.role != dist::Role::worker;
  const bool works = layout.role != dist::Role::coordinator;
  dist::StopSignals signals;

  // Setup: data on every rank (units carry indices only), model shard and runner on workers.
  std::vector<TaskData> data;
  std::unique_ptr<run::SampleRunner> runner;
  std::vector<TaskData> pass1;  // two-pass strategies: the dispatch items of each task
  svf::ExpertBank bank;
  EvalPlan plan;
  plan.kind = eval_strategy_kind(cfg);
  const bool two_pass = plan.kind == StrategyKind::prompt || plan.kind == StrategyKind::classifier;
  std::unique_ptr<tasks::sandbox::Sandbox> sandbox;
  std::string err;
  try {
    for (const TaskSpec& t : cfg.tasks) {
      data.push_back(load_task_data(t.name, t.data, cfg.limit, cfg.images, cfg.subset_seed));
      tasks::apply_prompt_file(*data.back().task, cfg.task_options);
    }
    if (two_pass)
      for (const TaskData& d : data) {
        pass1.push_back(make_dispatch_data(d));
        tasks::apply_prompt_file(*pass1.back().task, cfg.task_options, "dispatch");
      }
    if (works) {
      model::LoadOptions lo;
      lo.tp = {layout.group_rank, layout.tp};
      // A LLaVA-NeXT checkpoint brings its vision side for image tasks (model/llava/checkpoint.h).
      const model::llava::LoadedModel loaded = model::llava::load_model(cfg.model_dir, lo);
      auto model = loaded.language;
      if (plan.kind != StrategyKind::base) bank = load_eval_bank(cfg, *model);
      plan.bank = &bank;
      if (plan.kind == StrategyKind::expert) {
        const std::string& task = bank.experts().front().meta.task;
        plan.label = task.empty() ? stem(cfg.expert) : task;
      } else if (plan.kind == StrategyKind::mixture) {
        plan.label = "mixture:" + stem(cfg.mixture);
      }
      plan.reference_other = cfg.dispatch_other == "reference";
      plan.label_mode = tasks::parse_scoring_mode(cfg.task_options.scoring);
      if (!cfg.experts.empty()) plan.last_expert = cfg.experts.back().first;
      auto tok = tokenizer::Tokenizer::load(cfg.tokenizer.empty() ? cfg.model_dir : cfg.tokenizer);
      if (layout.is_leader()) sandbox = tasks::make_sandbox(cfg.task_options);
      run::RunnerOptions ro;
      ro.max_new_tokens = cfg.max_new_tokens;
      ro.seed = cfg.seed;
      ro.sampling.temperature = cfg.temperature;
      ro.sampling.top_p = cfg.top_p;
      ro.scoring = tasks::parse_scoring_mode(cfg.task_options.scoring);
      ro.chat_template = cfg.chat_template;
      ro.apply = svf::parse_apply_mode(cfg.svf_apply);
      ro.svf_cache_bytes = static_cast<size_t>(cfg.svf_cache_mb) << 20;
      runner = std::make_unique<run::SampleRunner>(std::move(model), std::move(tok), ro,
                                                   sandbox.get(),
                                                   bank.empty() ? nullptr : bank.factors());
      if (loaded.has_vision()) runner->set_vision(loaded.vision);
      if (layout.tp > 1) {
        dist::Communicator gc = layout.group_comm;
        // A model on a device sums its device buffers (NCCL); otherwise the group sums host rows.
        const model::DeviceModel* device = runner->model().device();
        runner->set_all_reduce(device ? device->group_all_reduce(gc)
                                      : model::AllReduceFn([gc](float* d, size_t n) {
                                          gc.all_reduce_sum(std::span<float>(d, n));
                                        }));
      }
    }
  } catch (const std::exception& e) {
    err = e.what();
  }
  dist::throw_if_any_failed(world, err);

  // The report: rank 0 creates or resumes it; others learn whether that worked.
  const auto hosts_all = world.all_gather(host_name());
  io::ReportWriter writer;
  err.clear();
  if (coordinates) {
    try {
      io::RunInfo run;
      run.command = "eval";
      run.config = config_text(cfg);
      run.version = build.version;
      run.git_revision = build.git_revision;
      run.fingerprints["model"] = model::checkpoint_fingerprint(cfg.model_dir);
      const bool gguf_tokenizer =
          cfg.tokenizer.empty() && std::filesystem::is_regular_file(cfg.model_dir);
      run.fingerprints["tokenizer"] =
          gguf_tokenizer ? run.fingerprints["model"]  // the tokenizer is in the GGUF file
                         : file_fingerprint(cfg.tokenizer.empty() ? cfg.model_dir + "/tokenizer.json"
                                                                  : cfg.tokenizer);
      for (const TaskSpec& t : cfg.tasks) run.fingerprints["data/" + t.name] = file_fingerprint(t.data);
      if (!cfg.svd.empty()) run.fingerprints["svd"] = file_fingerprint(cfg.svd);
      if (!cfg.expert.empty()) run.fingerprints["expert"] = file_fingerprint(cfg.expert);
      if (!cfg.mixture.empty()) run.fingerprints["mixture"] = file_fingerprint(cfg.mixture);
      run.world_size = world.size();
      run.tp = cfg.tp;
      std::set<std::string> hs(hosts_all.begin(), hosts_all.end());
      run.hosts.assign(hs.begin(), hs.end());
      run.start_time = io::utc_now_iso8601();
      io::ReportOptions ro;
      ro.overwrite = cfg.overwrite;
      ro.inputs = {{"model", cfg.model_dir}, {"svd", cfg.svd}, {"expert", cfg.expert},
                   {"mixture", cfg.mixture},
                   {"tokenizer", cfg.tokenizer.empty() ? cfg.model_dir : cfg.tokenizer}};
      for (const TaskSpec& t : cfg.tasks) ro.inputs["data/" + t.name] = t.data;
      writer = cfg.resume ? io::ReportWriter::resume(cfg.out, run, ro)
                          : io::ReportWriter::create(cfg.out, run, ro);
    } catch (const std::exception& e) {
      err = e.what();
    }
  }
  dist::throw_if_any_failed(world, err);

  // Units: --batch consecutive items of one task; committed items are skipped.
  std::vector<dist::WorkUnit> units;
  std::vector<std::pair<size_t, std::vector<int64_t>>> unit_items;
  int64_t n_skipped = 0, n_items = 0;
  if (coordinates) {
    for (size_t t = 0; t < data.size(); ++t) {
      const int64_t n = static_cast<int64_t>(data[t].items.size());
      n_items += n;
      for (int64_t b = 0; b < n; b += cfg.batch) {
        std::vector<int64_t> idx;
        for (int64_t i = b; i < std::min<int64_t>(n, b + cfg.batch); ++i) {
          if (writer.is_committed(data[t].name, i)) ++n_skipped;
          else idx.push_back(i);
        }
        if (idx.empty()) continue;
        units.push_back({units.size(), encode_unit(t, idx)});
        unit_items.emplace_back(t, std::move(idx));
      }
    }
    T2_LOG_INFO("eval: %lld samples in %zu tasks, %lld already committed, %zu units of up to %d; "
                "world %d = coordinator + %d group(s) of %d",
                static_cast<long long>(n_items), data.size(), static_cast<long long>(n_skipped),
                units.size(), cfg.batch, world.size(), layout.n_groups, layout.tp);
  }

  dist::WorkFn fn = [&](const dist::WorkUnit& unit, const dist::Communicator& group) {
    size_t t = 0;
    std::vector<int64_t> idx;
    decode_unit(unit.payload, t, idx);
    T2_CHECK(t < data.size(), "work unit names task %zu of %zu", t, data.size());
    return io::encode_records(run_unit(*runner, data[t], two_pass ? &pass1[t] : nullptr, idx,
                                       plan, group.rank() == 0));
  };
  int64_t n_done = 0, n_generated = 0;
  ProgressOptions po;
  po.label = "eval";
  po.unit = "samples";
  po.enabled = coordinates;
  auto progress = std::make_unique<Progress>(po, n_items - n_skipped);
  dist::ResultFn on_result = [&](const dist::WorkUnit& unit, const dist::UnitResult& res) {
    const auto& [t, idx] = unit_items[unit.id];
    std::vector<io::SampleRecord> recs;
    std::string failure = res.ok ? "" : res.error;
    if (res.ok) {
      try {
        recs = io::decode_records(res.payload, "unit result");
        T2_CHECK(recs.size() == idx.size(), "unit result has %zu records for %zu samples",
                 recs.size(), idx.size());
        for (size_t i = 0; i < idx.size(); ++i)
          T2_CHECK(recs[i].task == data[t].name && recs[i].index == idx[i],
                   "unit result record %zu is %s/%lld, expected %s/%lld", i, recs[i].task.c_str(),
                   static_cast<long long>(recs[i].index), data[t].name.c_str(),
                   static_cast<long long>(idx[i]));
      } catch (const t2::Error& e) {
        failure = e.what();
      }
    }
    if (!failure.empty()) {
      T2_LOG_WARN("eval: unit %llu (task %s, %zu samples) failed on rank %d: %s",
                  static_cast<unsigned long long>(unit.id), data[t].name.c_str(), idx.size(),
                  res.worker_rank, failure.c_str());
      recs.assign(idx.size(), io::SampleRecord{});
      for (size_t i = 0; i < idx.size(); ++i) {
        recs[i].task = data[t].name;
        recs[i].index = idx[i];
        const TaskItem& item = data[t].items[idx[i]];
        if (item.sample) recs[i].id = item.sample->id;
        recs[i].status = "worker error: " + failure;
      }
    }
    writer.commit(recs);
    n_done += static_cast<int64_t>(recs.size());
    int64_t generated = 0;
    for (const auto& r : recs) generated += r.generated_tokens;
    progress->advance(static_cast<int64_t>(recs.size()),
                      t2::format("%lld tokens", static_cast<long long>(n_generated += generated)));
  };

  dist::QueueOptions qo;
  qo.silence_timeout_s = cfg.silence_timeout_s;
  qo.stop_requested = [] { return dist::StopSignals::requested(); };
  dist::QueueStats st;
  try {
    st = dist::run_work_queue(world, layout, units, fn, on_result, qo);
  } catch (const std::exception& e) {
    if (coordinates) {
      T2_LOG_ERROR("eval: %s; committed results are kept in %s (rerun with --resume)", e.what(),
                   cfg.out.c_str());
      try {
        writer.finish(io::RunStatus::failed);
      } catch (const std::exception& e2) {
        T2_LOG_ERROR("eval: could not publish %s: %s", cfg.out.c_str(), e2.what());
      }
    }
    throw;
  }
  progress->finish();
  if (!coordinates) return st.exit_code;

  const bool complete = st.outcome == dist::Outcome::complete;
  writer.finish(complete ? io::RunStatus::complete : io::RunStatus::interrupted);
  const double per_unit = st.n_finished > 0 ? st.coordinator_busy_s / st.n_finished : 0.0;
  T2_LOG_INFO("eval: %s: %lld units finished (%lld failed) in %.2f s; coordinator %.3f ms per unit",
              complete ? "complete" : "interrupted", static_cast<long long>(st.n_finished),
              static_cast<long long>(st.n_failed), st.wall_s, per_unit * 1e3);
  const io::ReportData rd = io::read_report(cfg.out);
  std::fputs(io::render_summary_table({{cfg.out, rd}}, io::TableFormat::text).c_str(), stdout);
  if (!pass1.empty()) {
    // Two-pass table over every committed record (earlier segments included).
    for (const TaskData& d : data) {
      const auto it = rd.tasks.find(d.name);
      if (it == rd.tasks.end()) continue;
      std::vector<std::string> cats;
      for (const auto& r : it->second) {
        const bool known = r.index >= 0 && r.index < static_cast<int64_t>(d.items.size()) &&
                           d.items[r.index].sample;
        cats.push_back(known ? tasks::category_name(d.items[r.index].sample->category) : "?");
      }
      std::fputs(format_dispatch_summary(d.name, dispatch_summary(it->second, cats)).c_str(), stdout);
    }
  }
  if (!complete) {
    T2_LOG_WARN("eval: stopped on request (signal %d); rerun with --resume to continue",
                dist::StopSignals::signal_number());
    if (st.must_abort) world.abort(dist::kExitInterrupted);
  }
  return st.exit_code;
}

}  // namespace t2::adapt
