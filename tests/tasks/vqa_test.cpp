// VQA scoring on hand-made cases whose expected values follow from the metric's published
// definition (Antol et al. 2015 and the VQA v2 evaluation script: normalise, then average
// min(matches among the other nine answers / 3, 1) over the ten annotators), including the
// normalisation's edge cases and quirks; and the TextVQA / OK-VQA loaders on files in their
// published layouts (missing images, missing answers and unannotated questions are LoadErrors).
#include <gtest/gtest.h>
#include <unistd.h>  // getpid

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "io/file.h"
#include "tasks/vqa.h"
#include "tasks/vqa_score.h"

namespace t2::tasks {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> answers(std::initializer_list<std::pair<const char*, int>> counts) {
  std::vector<std::string> out;
  for (const auto& [a, n] : counts)
    for (int i = 0; i < n; ++i) out.push_back(a);
  return out;
}

double acc(const std::string& pred, const std::vector<std::string>& gt,
           ScoringMode mode = ScoringMode::clean) {
  return vqa_accuracy(pred, gt, mode).accuracy;
}

TEST(VqaScore, LeaveOneOutAveragesByMatchCount) {
  // k of 10 answers match: leaving out one of the k matching annotators leaves k − 1 matches, one
  // of the 10 − k others leaves k. Accuracy = (k · min(1, (k−1)/3) + (10−k) · min(1, k/3)) / 10.
  EXPECT_DOUBLE_EQ(acc("cat", answers({{"dog", 10}})), 0.0);
  EXPECT_NEAR(acc("cat", answers({{"cat", 1}, {"dog", 9}})), (1 * 0.0 + 9 * (1.0 / 3)) / 10, 1e-12);  // 0.3
  EXPECT_NEAR(acc("cat", answers({{"cat", 2}, {"dog", 8}})), (2 * (1.0 / 3) + 8 * (2.0 / 3)) / 10, 1e-12);  // 0.6
  EXPECT_NEAR(acc("cat", answers({{"cat", 3}, {"dog", 7}})), (3 * (2.0 / 3) + 7 * 1.0) / 10, 1e-12);  // 0.9
  EXPECT_DOUBLE_EQ(acc("cat", answers({{"cat", 4}, {"dog", 6}})), 1.0);
  EXPECT_DOUBLE_EQ(acc("cat", answers({{"cat", 10}})), 1.0);
  EXPECT_EQ(vqa_accuracy("cat", answers({{"cat", 3}, {"dog", 7}}), ScoringMode::clean).matches, 3);
  // Fewer annotators (n = 5): 2 matches → (2 · 1/3 + 3 · 2/3) / 5 = 8/15.
  EXPECT_NEAR(acc("cat", answers({{"cat", 2}, {"dog", 3}})), 8.0 / 15, 1e-12);
  EXPECT_DOUBLE_EQ(acc("cat", {}), 0.0);
}

TEST(VqaScore, NormalisationEdgeCases) {
  // Periods: dropped unless a digit follows; at most 32 of them (the script's count argument).
  EXPECT_EQ(normalize_vqa_answer("The Cat."), "cat");
  EXPECT_EQ(normalize_vqa_answer("3.5"), "3.5");
  EXPECT_EQ(normalize_vqa_answer("3.5."), "3.5");
  EXPECT_EQ(normalize_vqa_answer("x" + std::string(40, '.')), "x" + std::string(8, '.'));
  // Punctuation next to a space is removed, elsewhere it becomes a space.
  EXPECT_EQ(normalize_vqa_answer("red, white"), "red white");
  EXPECT_EQ(normalize_vqa_answer("red,white"), "red white");
  EXPECT_EQ(normalize_vqa_answer("left-handed"), "left handed");
  EXPECT_EQ(normalize_vqa_answer("x/y"), "x y");
  EXPECT_EQ(normalize_vqa_answer("\"hello\""), "hello");
  EXPECT_EQ(normalize_vqa_answer("yes!"), "yes");
  // A digit,digit comma anywhere removes every punctuation mark instead.
  EXPECT_EQ(normalize_vqa_answer("1,000"), "1000");
  EXPECT_EQ(normalize_vqa_answer("1,000 (approx)"), "1000 approx");
  // Apostrophes and colons are not in the list.
  EXPECT_EQ(normalize_vqa_answer("don't"), "don't");
  EXPECT_EQ(normalize_vqa_answer("10:30"), "10:30");
  // Case, whitespace, number words (zero … ten, none), articles.
  EXPECT_EQ(normalize_vqa_answer("  Two\tDogs\n"), "2 dogs");
  EXPECT_EQ(normalize_vqa_answer("none"), "0");
  EXPECT_EQ(normalize_vqa_answer("Ten"), "10");
  EXPECT_EQ(normalize_vqa_answer("eleven"), "eleven");
  EXPECT_EQ(normalize_vqa_answer("an apple a day"), "apple day");
  EXPECT_EQ(normalize_vqa_answer("The"), "");
  // Contractions without their apostrophe get it back; the script's odd entries are kept: keys
  // written with capitals never match lower-cased text, and "somebody'd" loses its apostrophe.
  EXPECT_EQ(normalize_vqa_answer("dont"), "don't");
  EXPECT_EQ(normalize_vqa_answer("Whats up"), "what's up");
  EXPECT_EQ(normalize_vqa_answer("Im"), "im");
  EXPECT_EQ(normalize_vqa_answer("somebody'd"), "somebodyd");
  EXPECT_EQ(normalize_vqa_answer("oclock"), "o'clock");
}

TEST(VqaScore, NormalisedAnswersMatchAndTheReferenceQuirk) {
  const auto gt = answers({{"2", 7}, {"two", 1}, {"3", 2}});
  // After normalisation "two" is "2": 8 matches → 1.0.
  EXPECT_DOUBLE_EQ(acc("Two.", gt), 1.0);
  EXPECT_DOUBLE_EQ(acc("Two.", gt, ScoringMode::reference), 1.0);  // answers differ: normalised
  // All ten answers identical: the official script compares raw strings.
  const auto same = answers({{"2", 10}});
  EXPECT_DOUBLE_EQ(acc("two", same), 1.0);
  EXPECT_DOUBLE_EQ(acc("two", same, ScoringMode::reference), 0.0);
  EXPECT_DOUBLE_EQ(acc(" 2\n", same, ScoringMode::reference), 1.0);  // newlines/strip always apply
  // Contractions on the human side too.
  EXPECT_DOUBLE_EQ(acc("do not know", answers({{"dont know", 5}, {"no", 5}})), 0.0);
  EXPECT_DOUBLE_EQ(acc("don't know", answers({{"dont know", 5}, {"no", 5}})), 1.0);
}

TEST(VqaTask, PromptExtractionAndVerdicts) {
  auto t = make_vqa_task("textvqa");
  EXPECT_EQ(t->category(), Category::vision);
  Sample s = t->parse_record({{"question_id", 7}, {"question", "What does the sign say?"},
                              {"answers", answers({{"stop", 9}, {"STOP!", 1}})}, {"image", "x.png"}},
                             0);
  EXPECT_EQ(s.id, "7");
  EXPECT_EQ(s.gold, "stop");
  EXPECT_EQ(s.extra["image"], "x.png");
  const Prompt p = t->build_prompt(s);
  EXPECT_EQ(p.user.find(kImagePlaceholder), 0u);
  EXPECT_NE(p.user.find("What does the sign say?"), std::string::npos);

  EXPECT_EQ(t->extract(s, "\n  Answer: Stop.\nbecause ...", ScoringMode::clean), "Stop.");
  EXPECT_EQ(t->extract(s, "Stop\nmore", ScoringMode::reference), "Stop\nmore");
  Verdict v = t->score(s, "Answer: Stop.", {});
  EXPECT_EQ(v.status, "ok");
  EXPECT_DOUBLE_EQ(v.credit, 1.0);
  EXPECT_TRUE(v.correct);
  v = t->score(s, "go", {});
  EXPECT_DOUBLE_EQ(v.credit, 0.0);
  EXPECT_FALSE(v.correct);
  v = t->score(s, "\n \n", {});
  EXPECT_EQ(v.status, "no_answer");
  EXPECT_DOUBLE_EQ(v.credit, 0.0);
  // Two matching annotators: partial credit, not correct (fewer than three agree).
  Sample two = s;
  two.extra["answers"] = answers({{"stop", 2}, {"halt", 8}});
  v = t->score(two, "stop", {});
  EXPECT_NEAR(v.credit, 0.6, 1e-12);
  EXPECT_FALSE(v.correct);
  EXPECT_EQ(t->score(s, t->gold_completion(s), {}).correct, true);
  EXPECT_THROW(make_vqa_task("vqa"), Error);
  EXPECT_THROW(t->parse_record({{"question_id", 1}, {"question", "q"}, {"answers", nlohmann::json::array()},
                                {"image", "x"}}, 0), Error);
}

class VqaFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("t2_vqa_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  void touch(const fs::path& p) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << "x";
  }
  fs::path dir;
};

TEST_F(VqaFiles, TextVqaPublishedLayout) {
  touch(dir / "train_images" / "a1b2.jpg");
  touch(dir / "train_images" / "c3d4.png");
  const nlohmann::json data = {
      {"dataset_name", "textvqa"},
      {"data",
       {{{"question", "what brand?"}, {"image_id", "a1b2"}, {"question_id", 11},
         {"answers", answers({{"nokia", 10}})}},
        {{"question", "what number?"}, {"image_id", "c3d4"}, {"question_id", 12},
         {"answers", answers({{"12", 6}, {"twelve", 4}})}},
        {{"question", "no image"}, {"image_id", "zzzz"}, {"question_id", 13},
         {"answers", answers({{"x", 10}})}},
        {{"question", "no answers"}, {"image_id", "a1b2"}, {"question_id", 14}}}}};
  io::write_file_atomic((dir / "TextVQA_0.5.1_val.json").string(), data.dump());
  auto t = make_vqa_task("textvqa");
  const Dataset ds = t->load((dir / "TextVQA_0.5.1_val.json").string());
  ASSERT_EQ(ds.samples.size(), 2u);
  EXPECT_EQ(ds.samples[0].id, "11");
  EXPECT_EQ(ds.samples[0].extra["image"], (dir / "train_images" / "a1b2.jpg").string());
  EXPECT_EQ(ds.samples[1].extra["image"], (dir / "train_images" / "c3d4.png").string());
  EXPECT_EQ(ds.samples[1].gold, "12");
  ASSERT_EQ(ds.errors.size(), 2u);
  EXPECT_NE(ds.errors[0].message.find("data[2]"), std::string::npos) << ds.errors[0].message;
  EXPECT_NE(ds.errors[0].message.find("zzzz"), std::string::npos) << ds.errors[0].message;
  EXPECT_NE(ds.errors[1].message.find("answers"), std::string::npos) << ds.errors[1].message;
  // An explicit image folder wins; a missing one is an error.
  touch(dir / "elsewhere" / "a1b2.png");
  t->set_image_dir((dir / "elsewhere").string());
  const Dataset ds2 = t->load((dir / "TextVQA_0.5.1_val.json").string());
  EXPECT_EQ(ds2.samples.size(), 1u);
  t->set_image_dir((dir / "nowhere").string());
  EXPECT_THROW(t->load((dir / "TextVQA_0.5.1_val.json").string()), Error);
  io::write_file_atomic((dir / "bad.json").string(), "{\"data\": 3}");
  t->set_image_dir("");
  EXPECT_THROW(t->load((dir / "bad.json").string()), Error);
}

TEST_F(VqaFiles, OkVqaQuestionsAndAnnotations) {
  touch(dir / "val2014" / "COCO_val2014_000000000042.jpg");
  touch(dir / "val2014" / "COCO_val2014_000000000043.jpg");
  const nlohmann::json qs = {
      {"data_subtype", "val2014"},
      {"questions",
       {{{"image_id", 42}, {"question", "What sport is this?"}, {"question_id", 420}},
        {{"image_id", 43}, {"question", "What is it made of?"}, {"question_id", 430}},
        {{"image_id", 44}, {"question", "no image file"}, {"question_id", 440}},
        {{"image_id", 43}, {"question", "not annotated"}, {"question_id", 999}}}}};
  auto ans = [](const char* a, int n) {
    nlohmann::json list = nlohmann::json::array();
    for (int i = 0; i < n; ++i) list.push_back({{"answer", a}, {"raw_answer", a}, {"answer_id", i + 1}});
    return list;
  };
  const nlohmann::json an = {{"data_subtype", "val2014"},
                             {"annotations",
                              {{{"question_id", 420}, {"image_id", 42}, {"answers", ans("tennis", 10)}},
                               {{"question_id", 430}, {"image_id", 43}, {"answers", ans("wood", 10)}},
                               {{"question_id", 440}, {"image_id", 44}, {"answers", ans("x", 10)}}}}};
  io::write_file_atomic((dir / "OpenEnded_mscoco_val2014_questions.json").string(), qs.dump());
  io::write_file_atomic((dir / "mscoco_val2014_annotations.json").string(), an.dump());
  auto t = make_vqa_task("okvqa");
  for (const fs::path& p : {dir / "OpenEnded_mscoco_val2014_questions.json", dir}) {
    const Dataset ds = t->load(p.string());
    ASSERT_EQ(ds.samples.size(), 2u) << p;
    EXPECT_EQ(ds.samples[0].id, "420");
    EXPECT_EQ(ds.samples[0].gold, "tennis");
    EXPECT_EQ(ds.samples[0].extra["image"], (dir / "val2014" / "COCO_val2014_000000000042.jpg").string());
    EXPECT_EQ(ds.samples[0].extra["answers"].size(), 10u);
    ASSERT_EQ(ds.errors.size(), 2u);
    EXPECT_NE(ds.errors[0].message.find("COCO_val2014_000000000044"), std::string::npos) << ds.errors[0].message;
    EXPECT_NE(ds.errors[1].message.find("999"), std::string::npos) << ds.errors[1].message;
  }
  fs::remove(dir / "mscoco_val2014_annotations.json");
  EXPECT_THROW(t->load((dir / "OpenEnded_mscoco_val2014_questions.json").string()), Error);
}

}  // namespace
}  // namespace t2::tasks
