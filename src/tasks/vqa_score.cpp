// VQA answer normalisation and accuracy (see vqa_score.h). The tables are the official script's
// facts: its punctuation list, number words, articles and contraction map.
#include "tasks/vqa_score.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <unordered_map>

#include "tasks/text.h"

namespace t2::tasks {

namespace {

constexpr std::string_view kPunct[] = {";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+",
                                       "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"};

const std::unordered_map<std::string, std::string>& number_words() {
  static const std::unordered_map<std::string, std::string> m = {
      {"none", "0"}, {"zero", "0"}, {"one", "1"}, {"two", "2"},   {"three", "3"}, {"four", "4"},
      {"five", "5"}, {"six", "6"},  {"seven", "7"}, {"eight", "8"}, {"nine", "9"},  {"ten", "10"}};
  return m;
}

// Word without apostrophes (or a misspelt one) → the contraction the script writes. A few keys
// carry capitals ("Im", "Ive"); the text is lower-cased first, so, as in the script, they never
// match.
const std::unordered_map<std::string, std::string>& contractions() {
  static const std::unordered_map<std::string, std::string> m = {
      {"aint", "ain't"}, {"arent", "aren't"}, {"cant", "can't"}, {"couldve", "could've"},
      {"couldnt", "couldn't"}, {"couldn'tve", "couldn't've"}, {"couldnt've", "couldn't've"},
      {"didnt", "didn't"}, {"doesnt", "doesn't"}, {"dont", "don't"}, {"hadnt", "hadn't"},
      {"hadnt've", "hadn't've"}, {"hadn'tve", "hadn't've"}, {"hasnt", "hasn't"},
      {"havent", "haven't"}, {"hed", "he'd"}, {"hed've", "he'd've"}, {"he'dve", "he'd've"},
      {"hes", "he's"}, {"howd", "how'd"}, {"howll", "how'll"}, {"hows", "how's"},
      {"Id've", "I'd've"}, {"I'dve", "I'd've"}, {"Im", "I'm"}, {"Ive", "I've"}, {"isnt", "isn't"},
      {"itd", "it'd"}, {"itd've", "it'd've"}, {"it'dve", "it'd've"}, {"itll", "it'll"},
      {"let's", "let's"}, {"maam", "ma'am"}, {"mightnt", "mightn't"},
      {"mightnt've", "mightn't've"}, {"mightn'tve", "mightn't've"}, {"mightve", "might've"},
      {"mustnt", "mustn't"}, {"mustve", "must've"}, {"neednt", "needn't"}, {"notve", "not've"},
      {"oclock", "o'clock"}, {"oughtnt", "oughtn't"}, {"ow's'at", "'ow's'at"},
      {"'ows'at", "'ow's'at"}, {"'ow'sat", "'ow's'at"}, {"shant", "shan't"},
      {"shed've", "she'd've"}, {"she'dve", "she'd've"}, {"she's", "she's"},
      {"shouldve", "should've"}, {"shouldnt", "shouldn't"}, {"shouldnt've", "shouldn't've"},
      {"shouldn'tve", "shouldn't've"}, {"somebody'd", "somebodyd"},
      {"somebodyd've", "somebody'd've"}, {"somebody'dve", "somebody'd've"},
      {"somebodyll", "somebody'll"}, {"somebodys", "somebody's"}, {"someoned", "someone'd"},
      {"someoned've", "someone'd've"}, {"someone'dve", "someone'd've"},
      {"someonell", "someone'll"}, {"someones", "someone's"}, {"somethingd", "something'd"},
      {"somethingd've", "something'd've"}, {"something'dve", "something'd've"},
      {"somethingll", "something'll"}, {"thats", "that's"}, {"thered", "there'd"},
      {"thered've", "there'd've"}, {"there'dve", "there'd've"}, {"therere", "there're"},
      {"theres", "there's"}, {"theyd", "they'd"}, {"theyd've", "they'd've"},
      {"they'dve", "they'd've"}, {"theyll", "they'll"}, {"theyre", "they're"},
      {"theyve", "they've"}, {"twas", "'twas"}, {"wasnt", "wasn't"}, {"wed've", "we'd've"},
      {"we'dve", "we'd've"}, {"weve", "we've"}, {"werent", "weren't"}, {"whatll", "what'll"},
      {"whatre", "what're"}, {"whats", "what's"}, {"whatve", "what've"}, {"whens", "when's"},
      {"whered", "where'd"}, {"wheres", "where's"}, {"whereve", "where've"}, {"whod", "who'd"},
      {"whod've", "who'd've"}, {"who'dve", "who'd've"}, {"wholl", "who'll"}, {"whos", "who's"},
      {"whove", "who've"}, {"whyll", "why'll"}, {"whyre", "why're"}, {"whys", "why's"},
      {"wont", "won't"}, {"wouldve", "would've"}, {"wouldnt", "wouldn't"},
      {"wouldnt've", "wouldn't've"}, {"wouldn'tve", "wouldn't've"}, {"yall", "y'all"},
      {"yall'll", "y'all'll"}, {"y'allll", "y'all'll"}, {"yall'd've", "y'all'd've"},
      {"y'alld've", "y'all'd've"}, {"y'all'dve", "y'all'd've"}, {"youd", "you'd"},
      {"youd've", "you'd've"}, {"you'dve", "you'd've"}, {"youll", "you'll"},
      {"youre", "you're"}, {"youve", "you've"}};
  return m;
}

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// True when text has a digit, a comma and a digit in a row ("1,000").
bool has_digit_comma_digit(std::string_view t) {
  for (size_t i = 1; i + 1 < t.size(); ++i)
    if (t[i] == ',' && is_digit(t[i - 1]) && is_digit(t[i + 1])) return true;
  return false;
}

bool contains(std::string_view s, std::string_view sub) { return s.find(sub) != std::string_view::npos; }

}  // namespace

std::string vqa_strip_punctuation(std::string_view in) {
  std::string out(in);
  const bool comma_number = has_digit_comma_digit(in);
  for (std::string_view p : kPunct) {
    // The test looks at the original text, the replacement acts on the running output.
    const bool spaced = contains(in, std::string(p) + " ") || contains(in, " " + std::string(p));
    out = replace_all(std::move(out), p, spaced || comma_number ? "" : " ");
  }
  // A period not followed by a digit goes (at most 32 of them: the script passes re.UNICODE as
  // the count argument of sub()).
  std::string res;
  int removed = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '.' && removed < 32 && !(i + 1 < out.size() && is_digit(out[i + 1]))) {
      ++removed;
      continue;
    }
    res += out[i];
  }
  return res;
}

std::string vqa_digits_articles(std::string_view in) {
  std::vector<std::string> words;
  const std::string lower = to_lower(in);
  size_t i = 0;
  while (i < lower.size()) {
    while (i < lower.size() && std::isspace(static_cast<unsigned char>(lower[i]))) ++i;
    size_t j = i;
    while (j < lower.size() && !std::isspace(static_cast<unsigned char>(lower[j]))) ++j;
    if (j > i) {
      std::string w = lower.substr(i, j - i);
      if (auto it = number_words().find(w); it != number_words().end()) w = it->second;
      if (w != "a" && w != "an" && w != "the") words.push_back(std::move(w));
    }
    i = j;
  }
  std::string out;
  for (auto& w : words) {
    if (auto it = contractions().find(w); it != contractions().end()) w = it->second;
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

namespace {

// newline / tab → space, then strip (the script's first step on every answer).
std::string flatten(std::string_view s) {
  std::string t(s);
  std::replace(t.begin(), t.end(), '\n', ' ');
  std::replace(t.begin(), t.end(), '\t', ' ');
  return trim(t);
}

}  // namespace

std::string normalize_vqa_answer(std::string_view text) {
  return vqa_digits_articles(vqa_strip_punctuation(flatten(text)));
}

VqaScore vqa_accuracy(std::string_view prediction, const std::vector<std::string>& answers,
                      ScoringMode mode) {
  VqaScore s;
  if (answers.empty()) return s;
  std::vector<std::string> gts;
  for (const auto& a : answers) gts.push_back(flatten(a));
  std::string pred = flatten(prediction);
  const bool normalise = mode == ScoringMode::clean ||
                         std::set<std::string>(gts.begin(), gts.end()).size() > 1;
  if (normalise) {
    for (auto& g : gts) g = normalize_vqa_answer(g);
    pred = normalize_vqa_answer(pred);
  }
  for (const auto& g : gts) s.matches += g == pred;
  // Leaving out annotator i removes one match exactly when annotator i matched.
  double sum = 0;
  for (const auto& g : gts) {
    const int others = s.matches - (g == pred ? 1 : 0);
    sum += std::min(1.0, others / 3.0);
  }
  s.accuracy = sum / static_cast<double>(gts.size());
  return s;
}

}  // namespace t2::tasks
