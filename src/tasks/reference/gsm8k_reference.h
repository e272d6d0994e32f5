// The reference scorer's GSM8K verdict: the last match of \d*\.?\d+ (Unicode digits, no sign, no
// thousands separator) read as a float, for the completion and for the gold alike (the gold is
// int() of that number in the WHOLE answer field); correct when the two are equal.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace t2::tasks::reference {

struct Gsm8kNumber {
  std::string text;  // the match as written
  double value = 0;  // float(text)
};

// extract_answer_number: the last match, nullopt where the reference returns None.
std::optional<Gsm8kNumber> gsm8k_extract_number(std::string_view text);

struct Gsm8kVerdict {
  std::optional<Gsm8kNumber> prediction;
  bool correct = false;
  std::string error;  // non-empty where the reference raises building the gold (no number in it)
};

// The verdict for a completion against the record's whole answer field.
Gsm8kVerdict gsm8k_reference_verdict(std::string_view answer_field, std::string_view completion);

}  // namespace t2::tasks::reference
