// The REINFORCE outer loop: evaluation schedule, experts, history and checkpoints.
#include "train/train_run.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string_view>

#include "base/error.h"
#include "io/file.h"
#include "io/h5.h"
#include "svf/expert.h"

namespace t2::train {

namespace {

namespace h5 = io::h5;

std::string stem(const std::string& out) {
  const std::string ext = ".h5";
  if (out.size() > ext.size() && out.compare(out.size() - ext.size(), ext.size(), ext) == 0)
    return out.substr(0, out.size() - ext.size());
  return out;
}

// History columns, in file order.
struct Column {
  const char* name;
  double HistoryRow::*field;
};
const Column kColumns[] = {
    {"mean_reward", &HistoryRow::mean_reward}, {"loss", &HistoryRow::loss},
    {"grad_norm", &HistoryRow::grad_norm},     {"param_norm", &HistoryRow::param_norm},
    {"train_acc", &HistoryRow::train_acc},     {"valid_acc", &HistoryRow::valid_acc},
    {"test_acc", &HistoryRow::test_acc},       {"n_errors", &HistoryRow::n_errors},
    {"t_rollout", &HistoryRow::t_rollout},
    {"t_forward", &HistoryRow::t_forward},     {"t_backward", &HistoryRow::t_backward},
    {"t_allreduce", &HistoryRow::t_allreduce}, {"t_total", &HistoryRow::t_total},
};

struct RunState {
  int64_t best_iteration = -1;
  double best_valid = -1;
  std::vector<HistoryRow> history;
};

void save_expert_file(const ReinforceTrainer& tr, const TrainRunOptions& opt,
                      const std::string& path, int64_t iteration, double valid,
                      const std::vector<HistoryRow>& history) {
  svf::Expert e;
  e.meta.base_fingerprint = opt.base_fingerprint;
  e.meta.task = opt.task;
  e.meta.provenance = opt.provenance;
  e.meta.max_mult = tr.options().max_mult;
  e.meta.extra["iteration"] = std::to_string(iteration);  // the selected iteration (0: initial)
  e.meta.extra["valid_accuracy"] = t2::format("%.6f", valid);
  double errors = 0;  // failed rollouts so far (counted as wrong answers)
  for (const HistoryRow& r : history) errors += r.n_errors;
  e.meta.extra["failed_rollouts"] = t2::format("%.0f", errors);
  for (size_t i = 0; i < tr.expert().names.size(); ++i)
    e.params[tr.expert().names[i]] = tr.expert().p[i];
  svf::save_expert(e, path);
}

void write_checkpoint(ReinforceTrainer& tr, const TrainRunOptions& opt, const RunState& st) {
  const std::string path = checkpoint_path(opt.out);
  h5::create_atomic(path, [&](h5::File& f) {
    f.set_attr("format", "t2-train-checkpoint");
    f.set_attr("iteration", tr.iteration());
    f.set_attr("seed", static_cast<int64_t>(tr.options().seed));
    f.set_attr("adam_steps", tr.optimizer().n_steps());
    f.set_attr("best_iteration", st.best_iteration);
    f.set_attr("best_valid", st.best_valid);
    f.set_attr("base_fingerprint", opt.base_fingerprint);
    f.set_attr("task", opt.task);
    const Expert& e = tr.expert();
    h5::Group p = f.create_group("p"), m = f.create_group("adam_m"), v = f.create_group("adam_v");
    for (size_t i = 0; i < e.names.size(); ++i) {
      p.write(e.names[i], std::span<const float>(e.p[i]));
      m.write(e.names[i], std::span<const float>(tr.optimizer().first_moments()[i]));
      v.write(e.names[i], std::span<const float>(tr.optimizer().second_moments()[i]));
    }
    h5::Group h = f.create_group("history");
    std::vector<int64_t> its;
    for (const HistoryRow& r : st.history) its.push_back(r.iteration);
    h.write("iteration", std::span<const int64_t>(its));
    for (const Column& c : kColumns) {
      std::vector<double> col;
      for (const HistoryRow& r : st.history) col.push_back(r.*c.field);
      h.write(c.name, std::span<const double>(col));
    }
  }, "training checkpoint");
  // The history as text, for people.
  std::string tsv = "iteration";
  for (const Column& c : kColumns) tsv += std::string("\t") + c.name;
  tsv += "\n";
  for (const HistoryRow& r : st.history) {
    tsv += std::to_string(r.iteration);
    for (const Column& c : kColumns) tsv += t2::format("\t%.6g", r.*c.field);
    tsv += "\n";
  }
  io::write_file_atomic(stem(opt.out) + ".history.tsv", tsv);
}

RunState read_checkpoint(ReinforceTrainer& tr, const TrainRunOptions& opt) {
  const std::string path = checkpoint_path(opt.out);
  h5::File f = h5::File::open(path);
  T2_CHECK(f.has_attr("format") && f.attr_string("format") == "t2-train-checkpoint",
           "%s is not a t2 training checkpoint", path.c_str());
  T2_CHECK(f.attr_string("base_fingerprint") == opt.base_fingerprint,
           "%s was written for base checkpoint %s, this run uses %s; refusing to resume",
           path.c_str(), f.attr_string("base_fingerprint").c_str(), opt.base_fingerprint.c_str());
  T2_CHECK(f.attr_i64("seed") == static_cast<int64_t>(tr.options().seed),
           "%s was written with --seed %lld, this run has --seed %llu; resume with the same seed",
           path.c_str(), static_cast<long long>(f.attr_i64("seed")),
           static_cast<unsigned long long>(tr.options().seed));
  Expert e = tr.expert();
  const h5::Group p = f.group("p"), m = f.group("adam_m"), v = f.group("adam_v");
  for (size_t i = 0; i < e.names.size(); ++i) {
    T2_CHECK(p.has_dataset(e.names[i]), "%s lacks parameters for %s (other --matrices?)",
             path.c_str(), e.names[i].c_str());
    e.p[i] = p.dataset(e.names[i]).read_f32();
    tr.optimizer().first_moments()[i] = m.dataset(e.names[i]).read_f32();
    tr.optimizer().second_moments()[i] = v.dataset(e.names[i]).read_f32();
    T2_CHECK(tr.optimizer().first_moments()[i].size() == e.p[i].size() &&
                 tr.optimizer().second_moments()[i].size() == e.p[i].size(),
             "%s: optimiser state of %s has the wrong length", path.c_str(), e.names[i].c_str());
  }
  tr.restore(e, f.attr_i64("iteration"));
  tr.optimizer().set_n_steps(f.attr_i64("adam_steps"));
  RunState st;
  st.best_iteration = f.attr_i64("best_iteration");
  st.best_valid = f.attr_f64("best_valid");
  const h5::Group h = f.group("history");
  const std::vector<int64_t> its = h.dataset("iteration").read_i64();
  st.history.resize(its.size());
  for (size_t r = 0; r < its.size(); ++r) st.history[r].iteration = its[r];
  for (const Column& c : kColumns) {
    if (std::string_view(c.name) == "n_errors" && !h.has_dataset(c.name)) continue;  // older files
    const std::vector<double> col = h.dataset(c.name).read_f64();
    T2_CHECK(col.size() == its.size(), "%s: history column %s has %zu rows, expected %zu",
             path.c_str(), c.name, col.size(), its.size());
    for (size_t r = 0; r < its.size(); ++r) st.history[r].*c.field = col[r];
  }
  return st;
}

}  // namespace

std::string checkpoint_path(const std::string& out) { return stem(out) + ".ckpt.h5"; }
std::string latest_path(const std::string& out) { return stem(out) + ".latest.h5"; }

std::vector<HistoryRow> run_reinforce(ReinforceTrainer& tr, const EvalSets& sets,
                                      const TrainRunOptions& opt, const dist::Communicator& comm,
                                      const std::function<void(const HistoryRow&)>& on_row) {
  T2_CHECK(!opt.out.empty(), "run_reinforce needs an output path");
  T2_CHECK(opt.test_interval > 0, "--test-interval must be positive");
  T2_CHECK(opt.train_eval_limit >= 0 && opt.eval_limit >= 0,
           "--train-eval-limit and --eval-limit must be 0 (all) or positive");
  RunState st;
  if (opt.resume && std::filesystem::exists(checkpoint_path(opt.out)))
    st = read_checkpoint(tr, opt);  // every rank reads the same file
  auto evaluate = [&](HistoryRow& row) {
    const auto first = [](const std::vector<int64_t>& v, int64_t limit) {
      const size_t n = limit > 0 ? std::min(v.size(), static_cast<size_t>(limit)) : v.size();
      return std::span<const int64_t>(v).first(n);
    };
    const Accuracy train = tr.accuracy(first(sets.train, opt.train_eval_limit));
    const Accuracy valid = tr.accuracy(first(sets.valid, opt.eval_limit));
    const Accuracy test = tr.accuracy(first(sets.test, opt.eval_limit));
    row.train_acc = train.accuracy;
    row.valid_acc = valid.accuracy;
    row.test_acc = test.accuracy;
    row.n_errors += static_cast<double>(train.n_errors + valid.n_errors + test.n_errors);
    if (row.valid_acc > st.best_valid) {
      st.best_valid = row.valid_acc;
      st.best_iteration = tr.iteration();
      if (comm.rank() == 0)
        save_expert_file(tr, opt, opt.out, tr.iteration(), row.valid_acc, st.history);
    }
  };
  if (st.history.empty()) {  // iteration 0: the initial expert
    HistoryRow row;
    double pn = 0;
    for (const auto& p : tr.expert().p)
      for (float v : p) pn += double(v) * v;
    row.param_norm = std::sqrt(pn);
    evaluate(row);
    st.history.push_back(row);
    if (on_row) on_row(row);
    if (comm.rank() == 0) write_checkpoint(tr, opt, st);
  }
  while (tr.iteration() < opt.iters) {
    const IterationStats s = tr.step(sets.train);
    HistoryRow row;
    row.iteration = s.iteration;
    row.mean_reward = s.mean_reward;
    row.loss = s.loss;
    row.grad_norm = s.grad_norm;
    row.n_errors = static_cast<double>(s.n_errors);
    row.param_norm = s.param_norm;
    row.t_rollout = s.t_rollout;
    row.t_forward = s.t_forward;
    row.t_backward = s.t_backward;
    row.t_allreduce = s.t_allreduce;
    row.t_total = s.t_total;
    const bool eval_now = s.iteration % opt.test_interval == 0 || s.iteration == opt.iters;
    if (eval_now) evaluate(row);
    st.history.push_back(row);
    if (on_row) on_row(row);
    if (comm.rank() == 0 && (eval_now || s.iteration == opt.iters)) {
      save_expert_file(tr, opt, latest_path(opt.out), tr.iteration(), row.valid_acc, st.history);
      write_checkpoint(tr, opt, st);
    }
  }
  return st.history;
}

}  // namespace t2::train
