// Two-pass dispatch; see dispatch.h.
#include "adapt/dispatch.h"

#include <algorithm>
#include <filesystem>

#include "base/error.h"
#include "tasks/classify.h"

namespace t2::adapt {

namespace fs = std::filesystem;

std::vector<std::string> strategy_problems(const EvalConfig& c) {
  std::vector<std::string> p;
  const std::string& s = c.strategy;
  const bool two_pass = s == "prompt" || s == "classifier";
  if (!s.empty() && s != "base" && s != "expert" && s != "mixture" && !two_pass)
    p.push_back("--strategy must be base, expert, mixture, prompt or classifier, got '" + s + "'");
  if (s == "expert" && c.expert.empty()) p.push_back("--strategy expert needs --expert FILE");
  if (s == "mixture" && c.mixture.empty()) p.push_back("--strategy mixture needs --mixture FILE");
  if (s == "base" && (!c.expert.empty() || !c.mixture.empty() || !c.experts.empty()))
    p.push_back("--strategy base takes no --expert, --mixture or --experts");
  if (two_pass) {
    if (c.svd.empty()) p.push_back("--strategy " + s + " needs --svd (the SVD store of the model)");
    if (c.experts.empty())
      p.push_back("--strategy " + s + " needs --experts math=F,code=F,reasoning=F");
    if (!c.expert.empty() || !c.mixture.empty())
      p.push_back("--strategy " + s + " takes --experts, not --expert/--mixture");
    for (const auto& [label, path] : c.experts) {
      if (label != "math" && label != "code" && label != "reasoning")
        p.push_back("--experts " + label + "=" + path + ": labels are math, code and reasoning");
      if (!fs::is_regular_file(path)) p.push_back("--experts " + label + "=" + path + ": no such file");
    }
    if (s == "classifier" && c.cls_expert.empty())
      p.push_back("--strategy classifier needs --cls-expert FILE");
    if (s == "prompt" && !c.cls_expert.empty())
      p.push_back("--cls-expert is for --strategy classifier (prompt dispatch runs the base model)");
  } else if (!c.experts.empty() || !c.cls_expert.empty()) {
    p.push_back("--experts and --cls-expert need --strategy prompt or classifier");
  }
  if (!c.cls_expert.empty() && !fs::is_regular_file(c.cls_expert))
    p.push_back("--cls-expert " + c.cls_expert + ": no such file");
  if (c.dispatch_other != "base" && c.dispatch_other != "reference")
    p.push_back("--dispatch-other must be base or reference, got '" + c.dispatch_other + "'");
  return p;
}

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

std::string expert_for_label(const std::string& label, const DispatchPlan& plan) {
  if (label != "other" && plan.bank->scalings.count(label)) return label;
  return plan.reference_other && !plan.last_expert.empty() ? plan.last_expert : "base";
}

std::vector<io::SampleRecord> run_two_pass(SampleRunner& runner, const TaskData& data,
                                           const TaskData& pass1, std::span<const int64_t> indices,
                                           const DispatchPlan& plan, bool score) {
  // Pass 1: the dispatch question, on the base model or under the cls expert.
  std::unique_ptr<Strategy> p1;
  if (plan.kind == StrategyKind::classifier) p1 = make_scaling_strategy(StrategyKind::expert, *plan.bank, "cls");
  else p1 = make_base_strategy();
  const auto r1 = runner.run_batch(pass1, indices, *p1, /*score=*/false);

  // Pass 2 runs the samples whose dispatch worked and whose answer prompt fits; slot j of the
  // batch is the j-th of them (run_batch generates every index it is given in order).
  std::vector<io::SampleRecord> out(indices.size());
  std::vector<int64_t> run_idx;
  std::vector<size_t> run_pos;
  std::vector<const svf::ScalingSet*> per_slot;
  std::vector<std::string> labels(indices.size());
  const int64_t model_ctx = runner.model_context();
  for (size_t i = 0; i < indices.size(); ++i) {
    out[i] = r1[i];
    out[i].prediction.clear();
    out[i].correct = false;
    out[i].text.clear();
    out[i].pass1_s = r1[i].pass2_s;
    out[i].pass2_s = 0.0;
    out[i].generated_tokens = 0;
    out[i].expert = "";
    if (!r1[i].ok()) {
      out[i].status = "pass 1: " + r1[i].status;
      continue;
    }
    labels[i] = tasks::dispatch_label(r1[i].text, plan.label_mode);
    out[i].label = labels[i];
    out[i].expert = expert_for_label(labels[i], plan);
    const TaskItem& item = data.items[indices[i]];
    std::string problem;
    try {
      const tasks::Prompt pr = data.task->build_prompt(*item.sample);
      const size_t n = runner.prompt_ids(pr).size();
      const int64_t limit = std::min<int64_t>(pr.context_limit, model_ctx);
      if (static_cast<int64_t>(n) >= limit)
        problem = t2::format("prompt too long: %zu tokens, context limit %lld", n,
                             static_cast<long long>(limit));
    } catch (const t2::Error& e) {
      problem = std::string("prompt: ") + e.what();
    }
    if (!problem.empty()) {
      out[i].status = problem;
      continue;
    }
    run_idx.push_back(indices[i]);
    run_pos.push_back(i);
    const auto it = plan.bank->scalings.find(out[i].expert);
    per_slot.push_back(it == plan.bank->scalings.end() ? nullptr : &it->second);
  }
  if (run_idx.empty()) return out;
  SlotStrategy p2(plan.kind, plan.bank->factors, per_slot);
  const auto r2 = runner.run_batch(data, run_idx, p2, score);
  for (size_t j = 0; j < run_idx.size(); ++j) {
    io::SampleRecord& r = out[run_pos[j]];
    const double p1s = r.pass1_s;
    const std::string label = r.label, expert = r.expert;
    r = r2[j];
    r.label = label;
    r.expert = expert;
    r.pass1_s = p1s;
  }
  return out;
}

DispatchSummary dispatch_summary(const std::vector<io::SampleRecord>& records,
                                 const std::vector<std::string>& true_category) {
  DispatchSummary s;
  for (size_t i = 0; i < records.size(); ++i) {
    const io::SampleRecord& r = records[i];
    const std::string label = r.label.empty() ? "(none)" : r.label;
    auto& g = s.by_label[label];
    g.second += 1;
    g.first += r.correct ? 1 : 0;
    s.n += 1;
    s.correct += r.correct ? 1 : 0;
    s.confusion[i < true_category.size() ? true_category[i] : "?"][label] += 1;
    s.pass1_s += r.pass1_s;
    s.pass2_s += r.pass2_s;
  }
  return s;
}

std::string format_dispatch_summary(const std::string& task, const DispatchSummary& s) {
  std::string o = t2::format("dispatch %s: %lld samples, accuracy %.4f\n", task.c_str(),
                             static_cast<long long>(s.n), s.n ? double(s.correct) / s.n : 0.0);
  for (const auto& [label, g] : s.by_label)
    o += t2::format("  label %-10s n %6lld  accuracy %.4f\n", label.c_str(),
                    static_cast<long long>(g.second), g.second ? double(g.first) / g.second : 0.0);
  for (const auto& [cat, row] : s.confusion) {
    o += t2::format("  true %-10s ->", cat.c_str());
    for (const auto& [label, n] : row) o += t2::format(" %s %lld", label.c_str(), static_cast<long long>(n));
    o += "\n";
  }
  o += t2::format("  pass 1 %.2f s, pass 2 %.2f s, ratio pass1/pass2 %.3f\n", s.pass1_s, s.pass2_s,
                  s.pass2_s > 0 ? s.pass1_s / s.pass2_s : 0.0);
  return o;
}

}  // namespace t2::adapt
