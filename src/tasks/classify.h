// The classification task ("cls", PROTOCOL §2) and the dispatch-label extractor of two-pass
// adaptation (PROTOCOL §4). Both are pure text: questions in, labels out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tasks/prompt.h"
#include "tasks/task.h"

namespace t2::tasks {

// The first \boxed{...} of a completion, trimmed and lower-cased, when it is code, math or
// reasoning; "other" for anything else (no box, another word, empty).
std::string dispatch_label(std::string_view completion);

// The first-pass prompt: label a question as code, math, reasoning or other in \boxed{}.
PromptTemplate dispatch_prompt_template();

struct ClassificationSets {
  std::vector<Sample> train;
  std::vector<Sample> test;
};

// Builds the cls task from the training splits of the three training tasks: every given sample
// becomes a question labelled with its category (ids "<category>/<original id>"), the pooled list
// is shuffled with the seed and split 4:1 into train and test.
ClassificationSets build_classification_sets(const std::vector<Sample>& sources, uint64_t seed);

}  // namespace t2::tasks
