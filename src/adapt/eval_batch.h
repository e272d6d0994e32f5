// One work unit of `t2 eval` on a model replica: the samples of one task answered with the unit's
// strategy, as report records (DESIGN "Data flow of one evaluated sample").
//   base / expert / mixture: one pass, every sample with the same weights (nullptr, or the
//     bank's "expert" / "mixture" scaling).
//   prompt / classifier (PROTOCOL.md §4): pass 1 asks the model — the base model, or under the cls
//     expert — to label each question (tasks/classify.h: the prompt and the label rule); pass 2
//     answers every sample with the expert of its label in ONE generation batch, each slot with its
//     own scaling; "other" (and a label without a loaded expert) runs the base model, or in
//     `reference` mode the last expert loaded, as the reference implementation did by accident.
// Everything goes through run::SampleRunner, and so through the SVF door (svf/adapter.h). Records
// carry the per-sample time of each pass (admission to finish) and the sample's share of each
// batch's wall time and of the adaptation's attach time (io/report_record.h).
// Under tensor parallelism every rank of the group calls run_unit with the same arguments; only
// the leader scores (score = true).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "adapt/task_data.h"
#include "io/report_record.h"
#include "run/sample_runner.h"
#include "svf/bank.h"

namespace t2::adapt {

enum class StrategyKind { base, expert, mixture, prompt, classifier };

struct EvalPlan {
  StrategyKind kind = StrategyKind::base;
  const svf::ExpertBank* bank = nullptr;  // expert, mixture, prompt, classifier
  std::string label = "base";             // records' `expert` column of a one-pass strategy
  bool reference_other = false;           // two-pass: "other" → the last loaded task expert
  std::string last_expert;                // used when reference_other
  tasks::ScoringMode label_mode = tasks::ScoringMode::clean;  // pass-1 label rule (tasks/classify.h)
};

// The pass-1 items of a task: a cls-task sample per item (same index) with the item's question
// and its true category as the label.
TaskData make_dispatch_data(const TaskData& target);

// The expert that answers a pass-1 label ("base" for none).
std::string expert_for_label(const std::string& label, const EvalPlan& plan);

// Items `indices` of data as one unit. pass1: make_dispatch_data(data) for the two-pass kinds.
std::vector<io::SampleRecord> run_unit(run::SampleRunner& runner, const TaskData& data,
                                       const TaskData* pass1, std::span<const int64_t> indices,
                                       const EvalPlan& plan, bool score);

}  // namespace t2::adapt
