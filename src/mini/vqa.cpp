// The mini VQA suite (see vqa.h): scene drawing, question templates, human-like answers, and the
// TextVQA / VQA v2 files.
#include "mini/vqa.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/rng.h"
#include "io/file.h"
#include "mini/vqa_draw.h"

namespace t2::mini {

namespace {

using nlohmann::json;

struct Colour {
  const char* name;
  Rgb rgb;
};
constexpr Colour kColours[] = {{"red", {220, 30, 30}},     {"green", {30, 160, 50}},
                               {"blue", {40, 70, 220}},    {"yellow", {240, 210, 30}},
                               {"purple", {140, 50, 170}}, {"orange", {245, 140, 20}}};
constexpr Rgb kBackgrounds[] = {{250, 250, 245}, {225, 225, 225}, {240, 230, 205}, {210, 230, 245}};
constexpr const char* kWords[] = {"STOP", "OPEN", "EXIT", "CAFE", "BANK", "TAXI", "HOTEL", "PARK",
                                  "SALE", "BUS",  "ZOO",  "GYM",  "INN",  "BAR",  "POST",  "FIRE"};
constexpr const char* kShapes[] = {"circle", "square", "triangle"};
constexpr const char* kNumberWords[] = {"zero", "one", "two", "three", "four", "five", "six"};

int64_t between(Rng& rng, int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng.below(hi - lo + 1)); }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Ten answers: the canonical one at least four times, variants and an occasional wrong answer.
std::vector<std::string> human_answers(Rng& rng, const std::string& canonical,
                                       const std::vector<std::string>& variants,
                                       const std::vector<std::string>& wrong) {
  std::vector<std::string> a;
  for (int i = 0; i < 10; ++i) {
    const double u = rng.uniform();
    if (u < 0.72 || (variants.empty() && wrong.empty())) a.push_back(canonical);
    else if (u < 0.93 && !variants.empty()) a.push_back(variants[rng.below(variants.size())]);
    else if (!wrong.empty()) a.push_back(wrong[rng.below(wrong.size())]);
    else a.push_back(canonical);
  }
  for (int i = 0; std::count(a.begin(), a.end(), canonical) < 4; ++i) a[i] = canonical;
  return a;
}

Rgb background(Rng& rng) { return kBackgrounds[rng.below(std::size(kBackgrounds))]; }

// One reading item: template chosen by the rng, content drawn freely (the caller filters by split).
VqaItem reading_item(Rng& rng) {
  VqaItem it;
  const int64_t w = between(rng, 56, 200), h = between(rng, 48, 160);
  it.image = blank_image(w, h, background(rng));
  const Colour& ink = kColours[rng.below(std::size(kColours))];
  switch (rng.below(3)) {
    case 0: {  // a number on a white sign
      const int n = static_cast<int>(between(rng, 10, 999));
      const std::string text = std::to_string(n);
      const int scale = static_cast<int>(std::max<int64_t>(1, std::min((w - 8) / text_width(text, 1), (h - 8) / 7) / 2 + 1));
      const int64_t tw = text_width(text, scale), th = 7 * scale;
      const int64_t x = between(rng, 2, std::max<int64_t>(2, w - tw - 6)), y = between(rng, 2, std::max<int64_t>(2, h - th - 6));
      fill_rect(it.image, x - 2, y - 2, tw + 4, th + 4, {252, 252, 252});
      draw_text(it.image, x, y, text, scale, {20, 20, 20});
      it.template_id = "sign_number";
      it.question = rng.below(2) ? "What number is written on the sign?" : "What number is on the sign?";
      it.canonical = text;
      it.answers = human_answers(rng, text, {text + ".", "number " + text},
                                 {std::to_string(n + 1), std::to_string(n / 10)});
      break;
    }
    case 1: {  // a word on a coloured banner
      const std::string word = kWords[rng.below(std::size(kWords))];
      const int scale = static_cast<int>(std::max<int64_t>(1, std::min((w - 8) / text_width(word, 1), (h - 8) / 7) / 2 + 1));
      const int64_t tw = text_width(word, scale), th = 7 * scale;
      const int64_t x = between(rng, 3, std::max<int64_t>(3, w - tw - 6)), y = between(rng, 3, std::max<int64_t>(3, h - th - 6));
      fill_rect(it.image, x - 3, y - 3, tw + 6, th + 6, ink.rgb);
      draw_text(it.image, x, y, word, scale, {250, 250, 250});
      it.template_id = "banner_word";
      it.question = "What word is written on the banner?";
      it.canonical = lower(word);
      it.answers = human_answers(rng, it.canonical, {word, it.canonical + " sign"}, {"sign", "banner"});
      break;
    }
    default: {  // a letter inside a disc
      const char letter = static_cast<char>('A' + rng.below(26));
      const double r = std::min(w, h) * (0.25 + 0.15 * rng.uniform());
      const double cx = between(rng, static_cast<int64_t>(r), w - static_cast<int64_t>(r));
      const double cy = between(rng, static_cast<int64_t>(r), h - static_cast<int64_t>(r));
      fill_disc(it.image, cx, cy, r, ink.rgb);
      const int scale = std::max(1, static_cast<int>(r / 6));
      draw_text(it.image, static_cast<int64_t>(cx - 2.5 * scale), static_cast<int64_t>(cy - 3.5 * scale),
                std::string(1, letter), scale, {250, 250, 250});
      it.template_id = "disc_letter";
      it.question = "Which letter is inside the circle?";
      it.canonical = lower(std::string(1, letter));
      it.answers = human_answers(rng, it.canonical, {std::string(1, letter), "letter " + it.canonical},
                                 {"o", "circle"});
      break;
    }
  }
  return it;
}

// One scene item: up to four shapes in distinct colours on a plain background.
VqaItem scene_item(Rng& rng) {
  VqaItem it;
  const int64_t w = between(rng, 64, 200), h = between(rng, 56, 180);
  it.image = blank_image(w, h, background(rng));
  struct Obj { int shape; int colour; };
  std::vector<Obj> objs;
  const int n = static_cast<int>(between(rng, 1, 5));
  for (int i = 0; i < n; ++i) objs.push_back({static_cast<int>(rng.below(3)), static_cast<int>(rng.below(std::size(kColours)))});
  // Lay the objects out on a grid of cells so they never overlap.
  const int cols = (n + 1) / 2, rows = n > 1 ? 2 : 1;
  const int64_t cw = w / cols, ch = h / rows;
  for (int i = 0; i < n; ++i) {
    const int64_t x0 = (i % cols) * cw, y0 = (i / cols) * ch;
    const int64_t s = std::max<int64_t>(6, std::min(cw, ch) * 7 / 10);
    const int64_t x = x0 + (cw - s) / 2, y = y0 + (ch - s) / 2;
    const Rgb c = kColours[objs[i].colour].rgb;
    if (objs[i].shape == 0) fill_disc(it.image, x + s / 2.0, y + s / 2.0, s / 2.0, c);
    else if (objs[i].shape == 1) fill_rect(it.image, x, y, s, s, c);
    else fill_triangle(it.image, x, y, s, s, c);
  }
  auto count_shape = [&](int shape) {
    return static_cast<int>(std::count_if(objs.begin(), objs.end(), [&](const Obj& o) { return o.shape == shape; }));
  };
  switch (rng.below(3)) {
    case 0: {  // how many of a shape
      const int shape = static_cast<int>(rng.below(3));
      const int k = count_shape(shape);
      it.template_id = "count_shape";
      it.question = std::string("How many ") + kShapes[shape] + "s are in the picture?";
      it.canonical = std::to_string(k);
      it.answers = human_answers(rng, it.canonical, {kNumberWords[k]}, {std::to_string(k + 1)});
      break;
    }
    case 1: {  // colour of the first object (named by its shape when unique)
      const Obj& o = objs[rng.below(objs.size())];
      const bool unique = count_shape(o.shape) == 1;
      it.template_id = "shape_colour";
      it.question = unique ? std::string("What color is the ") + kShapes[o.shape] + "?"
                           : std::string("What color is one of the ") + kShapes[o.shape] + "s?";
      it.canonical = kColours[o.colour].name;
      std::vector<std::string> ok;
      for (const Obj& p : objs)
        if (p.shape == o.shape && p.colour != o.colour) ok.push_back(kColours[p.colour].name);
      ok.push_back(it.canonical + " color");
      it.answers = human_answers(rng, it.canonical, ok, {"white"});
      break;
    }
    default: {  // shape of a coloured object
      const Obj& o = objs[rng.below(objs.size())];
      it.template_id = "colour_shape";
      it.question = std::string("What shape is the ") + kColours[o.colour].name + " object?";
      it.canonical = kShapes[o.shape];
      std::vector<std::string> ok = {std::string("a ") + kShapes[o.shape]};
      for (const Obj& p : objs)
        if (p.colour == o.colour && p.shape != o.shape) ok.push_back(kShapes[p.shape]);
      it.answers = human_answers(rng, it.canonical, ok, {"round"});
      break;
    }
  }
  return it;
}

std::string split_name(VqaSplit s) { return s == VqaSplit::train ? "train" : "val"; }

void write_json(const std::filesystem::path& path, const json& j) {
  io::write_file_atomic(path.string(), j.dump(1) + "\n");
}

std::vector<std::string> tokens_of(const std::string& q) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : q + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  return out;
}

}  // namespace

bool reading_pair_in_val(const std::string& template_id, const std::string& canonical) {
  return hash_string(template_id + "|" + canonical) % 5 == 0;
}

std::vector<VqaItem> make_reading_items(uint64_t seed, VqaSplit split, int n) {
  std::vector<VqaItem> out;
  const uint64_t stream = split == VqaSplit::train ? 1 : 2;
  for (uint64_t draw = 0; static_cast<int>(out.size()) < n; ++draw) {
    Rng rng = Rng::stream(seed, (stream << 40) + draw, RngPurpose::generic);
    VqaItem it = reading_item(rng);
    if (reading_pair_in_val(it.template_id, it.canonical) == (split == VqaSplit::val))
      out.push_back(std::move(it));
  }
  return out;
}

std::vector<VqaItem> make_scene_items(uint64_t seed, int n) {
  std::vector<VqaItem> out;
  for (int i = 0; i < n; ++i) {
    Rng rng = Rng::stream(seed, (uint64_t(3) << 40) + static_cast<uint64_t>(i), RngPurpose::generic);
    out.push_back(scene_item(rng));
  }
  return out;
}

size_t write_vqa_suite(const VqaSuiteOptions& o, const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path tv = fs::path(dir) / "textvqa", ok = fs::path(dir) / "okvqa";
  std::error_code ec;
  fs::create_directories(tv / "train_images", ec);
  fs::create_directories(ok / "val2014", ec);
  T2_CHECK(!ec, "cannot create folders under '%s': %s", dir.c_str(), ec.message().c_str());
  size_t n = 0;
  int64_t question_id = 0;
  for (VqaSplit split : {VqaSplit::train, VqaSplit::val}) {
    const auto items = make_reading_items(o.seed, split, split == VqaSplit::train ? o.n_textvqa_train : o.n_textvqa_val);
    json data = json::array();
    for (size_t i = 0; i < items.size(); ++i) {
      const VqaItem& it = items[i];
      const std::string image_id = format("%016llx", static_cast<unsigned long long>(
          hash_string(format("%llu/%s/%zu", static_cast<unsigned long long>(o.seed), split_name(split).c_str(), i))));
      io::write_png((tv / "train_images" / (image_id + ".png")).string(), it.image);
      data.push_back({{"question", it.question}, {"image_id", image_id}, {"image_classes", json::array()},
                      {"flickr_original_url", ""}, {"flickr_300k_url", ""},
                      {"image_width", it.image.width}, {"image_height", it.image.height},
                      {"answers", it.answers}, {"question_tokens", tokens_of(it.question)},
                      {"question_id", question_id++}, {"set_name", split_name(split)}});
    }
    write_json(tv / ("TextVQA_0.5.1_" + split_name(split) + ".json"),
               {{"dataset_type", split_name(split)}, {"dataset_name", "textvqa"},
                {"dataset_version", "0.5.1"}, {"data", data}});
    n += items.size();
  }
  const auto scenes = make_scene_items(o.seed, o.n_okvqa_val);
  json questions = json::array(), annotations = json::array();
  for (size_t i = 0; i < scenes.size(); ++i) {
    const VqaItem& it = scenes[i];
    const int64_t image_id = 100000 + static_cast<int64_t>(i);
    io::write_png((ok / "val2014" / format("COCO_val2014_%012lld.png", static_cast<long long>(image_id))).string(), it.image);
    const int64_t qid = image_id * 10;
    questions.push_back({{"image_id", image_id}, {"question", it.question}, {"question_id", qid}});
    json answers = json::array();
    for (size_t a = 0; a < it.answers.size(); ++a)
      answers.push_back({{"answer_id", a + 1}, {"raw_answer", it.answers[a]},
                         {"answer_confidence", "yes"}, {"answer", it.answers[a]}});
    annotations.push_back({{"image_id", image_id}, {"answer_type", "other"},
                           {"question_type", it.template_id}, {"question_id", qid},
                           {"answers", answers}, {"confidence", 3}});
  }
  const json info = {{"description", "t2 mini OK-VQA-like suite"}, {"version", "1.0"}};
  write_json(ok / "OpenEnded_mscoco_val2014_questions.json",
             {{"info", info}, {"task_type", "Open-Ended"}, {"data_type", "mscoco"},
              {"license", json::object()}, {"data_subtype", "val2014"}, {"questions", questions}});
  write_json(ok / "mscoco_val2014_annotations.json",
             {{"info", info}, {"license", json::object()}, {"data_subtype", "val2014"},
              {"annotations", annotations}});
  return n + scenes.size();
}

}  // namespace t2::mini
