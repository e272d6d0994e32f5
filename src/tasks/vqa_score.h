// The VQA accuracy metric (Antol et al. 2015; the VQA v2 evaluation script, which TextVQA and
// OK-VQA use too): answers are normalised — newlines and tabs to spaces; punctuation removed or
// turned into a space (all of it removed when a digit,digit comma appears); periods not followed by
// a digit dropped; lower case; number words zero…ten and "none" to digits; the articles a / an /
// the dropped; apostrophe-less contractions ("dont") given their apostrophe — and a prediction
// scores the mean over the n leave-one-out subsets of the n human answers of
// min(matches in the subset / 3, 1). Ten answers of which three or more match give 0.9 or 1.
// Pure functions of their inputs; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tasks/task.h"  // ScoringMode

namespace t2::tasks {

// processPunctuation of the official script (its 32-period cap included).
std::string vqa_strip_punctuation(std::string_view text);
// processDigitArticle: lower case, number words, articles, contractions; words joined by one space.
std::string vqa_digits_articles(std::string_view text);
// The full normalisation: newline/tab → space, trim, punctuation, digits/articles.
std::string normalize_vqa_answer(std::string_view text);

struct VqaScore {
  double accuracy = 0;  // in [0, 1]
  int matches = 0;      // human answers equal to the prediction (after normalisation)
};

// clean: both sides always normalised (as the TextVQA/EvalAI evaluator does). reference: the VQA v2
// script exactly, which normalises only when the human answers are not all identical (so "two"
// against ten answers "2" scores 0 there).
VqaScore vqa_accuracy(std::string_view prediction, const std::vector<std::string>& answers,
                      ScoringMode mode);

}  // namespace t2::tasks
