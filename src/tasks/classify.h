// The classification task ("cls", PROTOCOL §2) and the dispatch-label extractor of two-pass
// adaptation (PROTOCOL §4). One classification prompt, with the four labels code, math, reasoning
// and other, serves both: the cls task's template (make_task("cls")->prompt_template()) is what
// trains the cls expert and what pass 1 asks, as in the reference. Pure text: questions in,
// labels out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tasks/prompt.h"
#include "tasks/task.h"

namespace t2::tasks {

// The label a completion gives: code, math or reasoning, else "other" (no box, another word).
// clean: the first \boxed{...} with balanced braces, trimmed and lower-cased. reference: the
// reference's rule, the first "\boxed{" up to the next "}" exactly as written (no nesting, no
// trimming, no lower-casing).
std::string dispatch_label(std::string_view completion, ScoringMode mode = ScoringMode::clean);

struct ClassificationSets {
  std::vector<Sample> train;
  std::vector<Sample> test;
};

// Builds the cls task from the training splits of the three training tasks: every given sample
// becomes a question labelled with its category (ids "<category>/<original id>"), the pooled list
// is shuffled with the seed and split 4:1 into train and test.
ClassificationSets build_classification_sets(const std::vector<Sample>& sources, uint64_t seed);

}  // namespace t2::tasks
