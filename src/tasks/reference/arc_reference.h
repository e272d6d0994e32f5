// The reference scorer's ARC verdict: the first "answer is (X)" with X in A-J (case-sensitive,
// nothing skipped after the phrase), else the first line holding "answer:"/"Answer:" then a
// capital A-J (the last such on that line), else the last standalone capital A-J; when none is
// found, the seeded guess: random.seed(42), randint(0, options - 1), the letter at that index of
// A-E. Correct when the letter equals the answer key. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace t2::tasks::reference {

// extract_answer -> extract_again -> extract_final; nullopt where the reference returns None.
std::optional<std::string> arc_extract(std::string_view completion);

struct ArcVerdict {
  std::optional<std::string> prediction;
  bool guessed = false;  // no letter was found: is_correct guessed
  bool correct = false;
  std::string error;     // non-empty where the reference raises (a guess past E)
};

ArcVerdict arc_reference_verdict(std::string_view completion, const std::string& answer_key, size_t n_options);

}  // namespace t2::tasks::reference
