// One- and two-pass evaluation units on the sample runner; see eval_batch.h.
#include "adapt/eval_batch.h"

#include "base/error.h"
#include "tasks/classify.h"

namespace t2::adapt {

namespace {

// FNV-1a of the task name: keeps sampling streams of different tasks apart without depending on
// the order of --task options.
uint64_t name_hash(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::vector<run::Job> jobs_for(const TaskData& data, std::span<const int64_t> indices,
                               const std::vector<const svf::ScalingSet*>& scaling) {
  std::vector<run::Job> jobs;
  for (size_t i = 0; i < indices.size(); ++i) {
    const int64_t idx = indices[i];
    T2_CHECK(idx >= 0 && idx < static_cast<int64_t>(data.items.size()),
             "work unit names item %lld of task %s, which has %zu items",
             static_cast<long long>(idx), data.name.c_str(), data.items.size());
    const TaskItem& item = data.items[idx];
    jobs.push_back({data.task.get(), item.sample, item.load_error, scaling[i],
                    name_hash(data.name) + static_cast<uint64_t>(idx)});
  }
  return jobs;
}

// Per-sample shares of a batch's wall and attach times over the jobs that ran.
struct Shares {
  double wall = 0, adapt = 0;
};
Shares shares_of(const std::vector<run::JobResult>& res, const run::BatchStats& st) {
  int64_t ran = 0;
  for (const auto& r : res) ran += r.ran ? 1 : 0;
  if (ran == 0) return {};
  return {st.wall_s / static_cast<double>(ran), st.attach.seconds / static_cast<double>(ran)};
}

io::SampleRecord record_of(const TaskData& data, int64_t idx) {
  io::SampleRecord r;
  r.task = data.name;
  r.index = idx;
  if (data.items[idx].sample) r.id = data.items[idx].sample->id;
  return r;
}

// The answer pass into a record.
void fill_answer(io::SampleRecord& rec, const run::JobResult& r, const Shares& sh) {
  rec.status = r.status;
  rec.prompt_tokens = static_cast<int32_t>(r.prompt.size());
  rec.generated_tokens = static_cast<int32_t>(r.tokens.size());
  rec.text = r.text;
  rec.prediction = r.verdict.prediction;
  rec.correct = r.scored && r.verdict.correct;
  rec.vision_s = r.vision_s;
  if (r.ran) {
    rec.pass2_s = r.seconds;
    rec.pass2_wall_s = sh.wall;
    rec.adapt_s += sh.adapt;
  }
}

}  // namespace

TaskData make_dispatch_data(const TaskData& target) {
  TaskData d;
  d.name = target.name;
  d.path = target.path;
  d.task = tasks::make_task("cls");
  d.dataset.samples.reserve(target.items.size());
  for (const TaskItem& it : target.items) {
    tasks::Sample s;
    if (it.sample) {
      s.id = it.sample->id;
      s.question = it.sample->question;
      s.category = it.sample->category;
      s.gold = tasks::category_name(it.sample->category);
    }
    d.dataset.samples.push_back(std::move(s));
  }
  for (size_t i = 0; i < target.items.size(); ++i)
    d.items.push_back({target.items[i].sample ? &d.dataset.samples[i] : nullptr,
                       target.items[i].load_error});
  return d;
}

std::string expert_for_label(const std::string& label, const EvalPlan& plan) {
  if (label != "other" && label != "cls" && plan.bank && plan.bank->has(label)) return label;
  return plan.reference_other && !plan.last_expert.empty() ? plan.last_expert : "base";
}

std::vector<io::SampleRecord> run_unit(run::SampleRunner& runner, const TaskData& data,
                                       const TaskData* pass1, std::span<const int64_t> indices,
                                       const EvalPlan& plan, bool score) {
  run::BatchOptions bo;
  bo.score = score;
  bo.reuse = 16;  // experts and saved mixtures serve every unit of the run
  std::vector<io::SampleRecord> out;
  for (int64_t idx : indices) out.push_back(record_of(data, idx));
  run::BatchStats st;
  const bool two_pass = plan.kind == StrategyKind::prompt || plan.kind == StrategyKind::classifier;
  if (!two_pass) {
    const svf::ScalingSet* s = plan.kind == StrategyKind::base ? nullptr
                               : &plan.bank->scaling(plan.kind == StrategyKind::mixture ? "mixture"
                                                                                        : "expert");
    const std::vector<const svf::ScalingSet*> scaling(indices.size(), s);
    const auto res = runner.run(jobs_for(data, indices, scaling), bo, &st);
    const Shares sh = shares_of(res, st);
    for (size_t i = 0; i < res.size(); ++i) {
      out[i].expert = plan.label;
      fill_answer(out[i], res[i], sh);
    }
    return out;
  }

  // Pass 1: the dispatch question, on the base model or under the cls expert.
  T2_CHECK(pass1 != nullptr && plan.bank != nullptr, "two-pass evaluation needs its pass-1 items "
           "and the expert bank");
  const svf::ScalingSet* cls =
      plan.kind == StrategyKind::classifier ? &plan.bank->scaling("cls") : nullptr;
  run::BatchOptions bo1 = bo;
  bo1.score = false;
  const std::vector<const svf::ScalingSet*> pass1_scaling(indices.size(), cls);
  const auto r1 = runner.run(jobs_for(*pass1, indices, pass1_scaling), bo1, &st);
  const Shares sh1 = shares_of(r1, st);

  // Pass 2 runs the samples whose dispatch worked, each with the expert of its label.
  std::vector<int64_t> run_idx;
  std::vector<size_t> run_pos;
  std::vector<const svf::ScalingSet*> per_slot;
  for (size_t i = 0; i < indices.size(); ++i) {
    io::SampleRecord& rec = out[i];
    if (r1[i].ran) {
      rec.pass1_s = r1[i].seconds;
      rec.pass1_wall_s = sh1.wall;
      rec.adapt_s = sh1.adapt;
    }
    if (!r1[i].ok()) {
      rec.status = "pass 1: " + r1[i].status;
      continue;
    }
    rec.label = tasks::dispatch_label(r1[i].text, plan.label_mode);
    rec.expert = expert_for_label(rec.label, plan);
    run_idx.push_back(indices[i]);
    run_pos.push_back(i);
    per_slot.push_back(rec.expert == "base" ? nullptr : &plan.bank->scaling(rec.expert));
  }
  if (run_idx.empty()) return out;
  const auto r2 = runner.run(jobs_for(data, run_idx, per_slot), bo, &st);
  const Shares sh2 = shares_of(r2, st);
  for (size_t j = 0; j < run_idx.size(); ++j) fill_answer(out[run_pos[j]], r2[j], sh2);
  return out;
}

}  // namespace t2::adapt
