// Two-pass adaptation in `t2 eval` (PROTOCOL.md §4). Pass 1 ("dispatch") asks the model — the base
// model for the prompt strategy, the classification expert for the classifier strategy — to label
// each question code / math / reasoning / other in \boxed{} (tasks/classify.h: the prompt and the
// label extractor). Pass 2 answers each sample with the expert of its label in ONE generation batch:
// every slot gets its own expert through factored SVF overrides (dispatch_strategy.h SlotStrategy);
// "other" (and a label without a loaded expert) runs the base model, or in `reference` mode the last
// expert loaded, as the reference implementation did by accident.
// The records carry the label, the expert used, pass-1 seconds (the sample's share of the pass-1
// batch) and pass-2 seconds. dispatch_summary() aggregates them per task: accuracy per label group,
// the weighted total, the confusion of labels against the task's true category and pass times.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "adapt/eval_config.h"
#include "adapt/sample_runner.h"
#include "adapt/dispatch_strategy.h"
#include "adapt/task_data.h"
#include "io/report_record.h"

namespace t2::adapt {

inline constexpr const char* kDispatchLabels[] = {"code", "math", "reasoning", "other"};

// Problems of the strategy settings (--strategy, --experts, --cls-expert, --dispatch-other), one
// line each. Files are checked for existence only (the experts are validated when loaded).
std::vector<std::string> strategy_problems(const EvalConfig& c);

// The pass-1 items of a task: a cls-task sample per item (same index) with the item's question
// and its true category as the label.
TaskData make_dispatch_data(const TaskData& target);

struct DispatchPlan {
  StrategyKind kind = StrategyKind::prompt;  // prompt or classifier
  const SvfBank* bank = nullptr;             // experts by label (+ "cls" for classifier)
  bool reference_other = false;              // "other" → the last loaded task expert
  std::string last_expert;                   // used when reference_other
  tasks::ScoringMode label_mode = tasks::ScoringMode::clean;  // pass-1 label rule (tasks::dispatch_label)
};

// Both passes for items `indices` of data (pass1: make_dispatch_data(data)). Every rank of a
// tensor-parallel group calls it with the same arguments; only the leader scores (score = true).
std::vector<io::SampleRecord> run_two_pass(SampleRunner& runner, const TaskData& data,
                                           const TaskData& pass1, std::span<const int64_t> indices,
                                           const DispatchPlan& plan, bool score);

// The expert that answers a label ("base" for none).
std::string expert_for_label(const std::string& label, const DispatchPlan& plan);

struct DispatchSummary {
  std::map<std::string, std::pair<int64_t, int64_t>> by_label;  // label → (correct, n)
  int64_t correct = 0, n = 0;
  std::map<std::string, std::map<std::string, int64_t>> confusion;  // true category → label → n
  double pass1_s = 0.0, pass2_s = 0.0;
};
// Records of one task; true_category: the task's category per record (same order).
DispatchSummary dispatch_summary(const std::vector<io::SampleRecord>& records,
                                 const std::vector<std::string>& true_category);
std::string format_dispatch_summary(const std::string& task, const DispatchSummary& s);

}  // namespace t2::adapt
