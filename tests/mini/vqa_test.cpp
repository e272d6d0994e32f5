// The mini VQA suite: deterministic, split by its partition, with ten answers whose canonical one
// has full VQA credit, and pictures that show what the answers say — checked by reading the images
// back independently (ink bounding boxes compared glyph by glyph; shapes found as connected
// regions and told apart by how much of their bounding box they fill) — and written files that the
// real TextVQA / OK-VQA loaders read without a single error.
#include <gtest/gtest.h>
#include <unistd.h>  // getpid

#include <filesystem>
#include <map>
#include <set>

#include "io/image.h"
#include "mini/vqa.h"
#include "mini/vqa_draw.h"
#include "tasks/vqa.h"
#include "tasks/vqa_score.h"

namespace t2::mini {
namespace {

bool same(const uint8_t* p, Rgb c) { return p[0] == c[0] && p[1] == c[1] && p[2] == c[2]; }

// Bounding box of the pixels of colour c: {x0, y0, x1, y1} (exclusive), or empty.
std::array<int64_t, 4> bbox(const io::Image& im, Rgb c) {
  std::array<int64_t, 4> b = {im.width, im.height, -1, -1};
  for (int64_t y = 0; y < im.height; ++y)
    for (int64_t x = 0; x < im.width; ++x)
      if (same(im.pixel(x, y), c)) {
        b[0] = std::min(b[0], x);
        b[1] = std::min(b[1], y);
        b[2] = std::max(b[2], x + 1);
        b[3] = std::max(b[3], y + 1);
      }
  return b;
}

// True when the ink of colour c in `im` is exactly `text` drawn with the font: every glyph has ink
// in its first and last row, so the ink is 7 · scale high; its left edge may start up to one cell
// column into the first glyph.
bool shows_text(const io::Image& im, const std::string& text, Rgb c) {
  const auto b = bbox(im, c);
  if (b[2] < 0 || (b[3] - b[1]) % kGlyphHeight != 0) return false;
  const int scale = static_cast<int>((b[3] - b[1]) / kGlyphHeight);
  for (int64_t dx = 0; dx <= scale; dx += scale) {
    io::Image ref = blank_image(im.width, im.height, {1, 2, 3});
    draw_text(ref, b[0] - dx, b[1], text, scale, c);
    bool ok = true;
    for (int64_t y = 0; ok && y < im.height; ++y)
      for (int64_t x = 0; ok && x < im.width; ++x)
        ok = same(im.pixel(x, y), c) == same(ref.pixel(x, y), c);
    if (ok) return true;
  }
  return false;
}

std::string upper(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

// Connected regions (4-neighbour) of non-background colour: colour and how much of its bounding
// box each fills (square ≈ 1, disc ≈ π/4, triangle ≈ 1/2).
struct Region {
  Rgb colour;
  double fill;
};
std::vector<Region> regions(const io::Image& im) {
  const Rgb bg = {im.rgb[0], im.rgb[1], im.rgb[2]};
  std::vector<int> label(static_cast<size_t>(im.width * im.height), -1);
  std::vector<Region> out;
  for (int64_t s = 0; s < im.width * im.height; ++s) {
    if (label[s] >= 0 || same(im.rgb.data() + s * 3, bg)) continue;
    const Rgb c = {im.rgb[s * 3], im.rgb[s * 3 + 1], im.rgb[s * 3 + 2]};
    std::vector<int64_t> stack = {s};
    label[s] = static_cast<int>(out.size());
    int64_t n = 0, x0 = im.width, y0 = im.height, x1 = 0, y1 = 0;
    while (!stack.empty()) {
      const int64_t p = stack.back();
      stack.pop_back();
      ++n;
      const int64_t x = p % im.width, y = p / im.width;
      x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x + 1), y1 = std::max(y1, y + 1);
      const int64_t nb[4][2] = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
      for (const auto& q : nb) {
        if (q[0] < 0 || q[1] < 0 || q[0] >= im.width || q[1] >= im.height) continue;
        const int64_t k = q[1] * im.width + q[0];
        if (label[k] < 0 && same(im.rgb.data() + k * 3, c)) {
          label[k] = label[s];
          stack.push_back(k);
        }
      }
    }
    out.push_back({c, static_cast<double>(n) / static_cast<double>((x1 - x0) * (y1 - y0))});
  }
  return out;
}

std::string shape_of(double fill) { return fill > 0.9 ? "square" : fill > 0.65 ? "circle" : "triangle"; }

const std::map<std::string, Rgb>& colours() {
  static const std::map<std::string, Rgb> m = {{"red", {220, 30, 30}},     {"green", {30, 160, 50}},
                                               {"blue", {40, 70, 220}},    {"yellow", {240, 210, 30}},
                                               {"purple", {140, 50, 170}}, {"orange", {245, 140, 20}}};
  return m;
}

TEST(MiniVqa, DeterministicAndSeedDependent) {
  const auto a = make_reading_items(7, VqaSplit::train, 30), b = make_reading_items(7, VqaSplit::train, 30);
  const auto c = make_reading_items(8, VqaSplit::train, 30);
  int differ = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].question, b[i].question);
    EXPECT_EQ(a[i].answers, b[i].answers);
    EXPECT_EQ(a[i].image.rgb, b[i].image.rgb);
    differ += a[i].image.rgb != c[i].image.rgb;
  }
  EXPECT_GT(differ, 25);
  EXPECT_EQ(make_scene_items(7, 20)[13].image.rgb, make_scene_items(7, 20)[13].image.rgb);
}

TEST(MiniVqa, SplitsArePartitionedAndAnswersHaveFullCredit) {
  const auto train = make_reading_items(2025, VqaSplit::train, 300);
  const auto val = make_reading_items(2025, VqaSplit::val, 100);
  std::set<std::string> train_pairs;
  std::set<std::string> templates;
  for (const auto& it : train) {
    EXPECT_FALSE(reading_pair_in_val(it.template_id, it.canonical));
    train_pairs.insert(it.template_id + "|" + it.canonical);
    templates.insert(it.template_id);
  }
  for (const auto& it : val) {
    EXPECT_TRUE(reading_pair_in_val(it.template_id, it.canonical));
    EXPECT_EQ(train_pairs.count(it.template_id + "|" + it.canonical), 0u) << it.question;
  }
  EXPECT_EQ(templates.size(), 3u);
  const auto scenes = make_scene_items(2025, 100);
  for (const auto* items : {&train, &val, &scenes}) {
    for (const auto& it : *items) {
      ASSERT_EQ(it.answers.size(), 10u);
      EXPECT_GE(std::count(it.answers.begin(), it.answers.end(), it.canonical), 4);
      EXPECT_DOUBLE_EQ(tasks::vqa_accuracy(it.canonical, it.answers, tasks::ScoringMode::clean).accuracy, 1.0);
      EXPECT_GE(it.image.width, 48);
      EXPECT_LE(it.image.width, 200);
    }
  }
  for (const auto& it : scenes) EXPECT_EQ(templates.count(it.template_id), 0u) << it.template_id;
}

TEST(MiniVqa, PicturesShowTheAnswers) {
  for (const auto& it : make_reading_items(11, VqaSplit::train, 60)) {
    if (it.template_id == "sign_number") {
      EXPECT_TRUE(shows_text(it.image, it.canonical, {20, 20, 20})) << it.canonical;
    } else {
      EXPECT_TRUE(shows_text(it.image, upper(it.canonical), {250, 250, 250}))
          << it.template_id << " " << it.canonical;
    }
  }
  for (const auto& it : make_scene_items(11, 80)) {
    const auto rs = regions(it.image);
    ASSERT_GE(rs.size(), 1u);
    if (it.template_id == "count_shape") {
      // "How many <shape>s are in the picture?"
      const std::string shape = it.question.substr(9, it.question.find(" are") - 10);
      int k = 0;
      for (const auto& r : rs) k += shape_of(r.fill) == shape;
      EXPECT_EQ(std::to_string(k), it.canonical) << it.question;
    } else if (it.template_id == "shape_colour") {
      bool found = false;
      for (const auto& r : rs)
        found = found || (r.colour == colours().at(it.canonical) && it.question.find(shape_of(r.fill)) != std::string::npos);
      EXPECT_TRUE(found) << it.question << " " << it.canonical;
    } else {
      bool found = false;
      for (const auto& [name, rgb] : colours())
        if (it.question.find(" " + name + " ") != std::string::npos)
          for (const auto& r : rs) found = found || (r.colour == rgb && shape_of(r.fill) == it.canonical);
      EXPECT_TRUE(found) << it.question << " " << it.canonical;
    }
  }
}

TEST(MiniVqa, WrittenFilesLoadWithTheRealLoaders) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("t2_mini_vqa_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  VqaSuiteOptions o;
  o.n_textvqa_train = 20;
  o.n_textvqa_val = 8;
  o.n_okvqa_val = 12;
  EXPECT_EQ(write_vqa_suite(o, dir.string()), 40u);
  struct Case { const char* task; fs::path file; size_t n; };
  for (const Case& c : {Case{"textvqa", dir / "textvqa" / "TextVQA_0.5.1_train.json", 20},
                        Case{"textvqa", dir / "textvqa" / "TextVQA_0.5.1_val.json", 8},
                        Case{"okvqa", dir / "okvqa" / "OpenEnded_mscoco_val2014_questions.json", 12}}) {
    auto task = tasks::make_vqa_task(c.task);
    const tasks::Dataset ds = task->load(c.file.string());
    EXPECT_TRUE(ds.errors.empty()) << (ds.errors.empty() ? "" : ds.errors[0].message);
    ASSERT_EQ(ds.samples.size(), c.n) << c.file;
    for (const auto& s : ds.samples) {
      const io::Image im = io::read_image(s.extra["image"].get<std::string>());
      EXPECT_GT(im.width, 0);
      const tasks::Verdict v = task->score(s, task->gold_completion(s), {});
      EXPECT_DOUBLE_EQ(v.credit, 1.0) << s.question;
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace t2::mini
