// Two-pass adaptation in `t2 eval` (PROTOCOL.md §4), around the units that run it (eval_batch.h):
// the strategy settings' validation, and the per-task summary of the records — accuracy per label
// group, the weighted total, the confusion of labels against the task's true category, and the
// batch time of each pass.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "adapt/eval_config.h"
#include "io/report_record.h"

namespace t2::adapt {

inline constexpr const char* kDispatchLabels[] = {"code", "math", "reasoning", "other"};

// Problems of the strategy settings (--strategy, --experts, --cls-expert, --dispatch-other), one
// line each. Files are checked for existence only (the experts are validated when loaded).
std::vector<std::string> strategy_problems(const EvalConfig& c);

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
