// Image samples in the sample runner, on the tiny random LLaVA-NeXT checkpoint (tests/adapt's
// tiny_llava helper) and mini VQA suite pictures: a sample naming its picture is answered with the
// picture's features spliced in (its tokens equal to a generation of the same prompt fed by hand
// through LlavaModel), two samples of one picture share one vision pass (equal vision_s shares),
// a batch's answers do not depend on its other samples, and the runtime failures are error results
// that name the problem while the batch goes on: a text-only runner, a picture deleted after
// loading, an unreadable picture.
#include <gtest/gtest.h>
#include <unistd.h>  // getpid

#include <filesystem>
#include <fstream>

#include "adapt/task_data.h"
#include "mini/vqa.h"
#include "model/llava/checkpoint.h"
#include "run/sample_runner.h"
#include "tiny_llava.h"

namespace t2::run {
namespace {

namespace fs = std::filesystem;

class ImageSamplesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / ("t2_image_samples_" + std::to_string(::getpid()))).string();
    adapt::test::write_tiny_llava(dir_ + "/llava");
    mini::VqaSuiteOptions o;
    o.n_textvqa_train = 2;
    o.n_textvqa_val = 4;
    o.n_okvqa_val = 2;
    mini::write_vqa_suite(o, dir_ + "/suite");
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static adapt::TaskData val() {
    return adapt::load_task_data("textvqa", dir_ + "/suite/textvqa/TextVQA_0.5.1_val.json", 0);
  }
  static std::unique_ptr<SampleRunner> runner(const model::llava::LoadedModel& m, bool vision) {
    RunnerOptions o;
    o.max_new_tokens = 6;
    auto r = std::make_unique<SampleRunner>(m.language, tokenizer::Tokenizer::load(dir_ + "/llava"),
                                            o, nullptr);
    if (vision) r->set_vision(m.vision);
    return r;
  }
  static std::vector<Job> jobs(const adapt::TaskData& d, const std::vector<const tasks::Sample*>& s) {
    std::vector<Job> out;
    for (size_t i = 0; i < s.size(); ++i) out.push_back({d.task.get(), s[i], "", nullptr, i});
    return out;
  }
  static std::string dir_;
};
std::string ImageSamplesTest::dir_;

TEST_F(ImageSamplesTest, PicturesAreSplicedAndSharedAndDoNotDependOnTheBatch) {
  const auto m = model::llava::load_model(dir_ + "/llava");
  ASSERT_TRUE(m.has_vision());
  const adapt::TaskData d = val();
  ASSERT_EQ(d.dataset.samples.size(), 4u);
  const tasks::Sample& a = d.dataset.samples[0];
  tasks::Sample twin = d.dataset.samples[1];   // another question about sample 0's picture
  twin.extra["image"] = a.extra["image"];
  auto r = runner(m, true);
  const auto res = r->run(jobs(d, {&a, &twin, &d.dataset.samples[2]}));
  for (const auto& x : res) {
    ASSERT_TRUE(x.ok()) << x.status;
    EXPECT_EQ(x.embeds.size(), 1u);
    EXPECT_GT(x.vision_s, 0.0);
  }
  EXPECT_EQ(res[0].vision_s, res[1].vision_s);  // one vision pass, split between the two

  // By hand: the prompt's ids with the <image> token, the picture's features, generate().
  const auto alone = r->run(jobs(d, {&d.dataset.samples[2]}));
  EXPECT_EQ(alone[0].tokens, res[2].tokens);
  std::vector<int32_t> ids = r->encoder().encode(d.task->build_prompt(a));
  const auto p = m.vision->expand_prompt(ids, {m.vision->encode_image_file(a.extra["image"])});
  EXPECT_EQ(p.ids, res[0].prompt);
  model::RunContext ctx(m.language);
  model::GenerationOptions go;
  go.stop_token_ids = r->encoder().stop_ids();
  const auto g = model::generate(ctx, std::vector{p.request(6)}, go);
  EXPECT_EQ(g[0].tokens, res[0].tokens);

  // Without the picture (the same tokens, no features) the model answers otherwise.
  model::GenerationRequest blind = p.request(6);
  blind.embeds.clear();
  EXPECT_NE(model::generate(ctx, std::vector{blind}, go)[0].tokens, res[0].tokens);
}

TEST_F(ImageSamplesTest, RuntimeFailuresAreErrorResultsNamingTheProblem) {
  const auto m = model::llava::load_model(dir_ + "/llava");
  const adapt::TaskData d = val();
  const auto& s = d.dataset.samples;
  // A text-only runner (the language model alone) cannot answer image questions.
  const auto text = runner(m, false)->run(jobs(d, {&s[0]}));
  EXPECT_NE(text[0].status.find("image: task textvqa asks questions about images, but the model is "
                                "a text-only checkpoint"), std::string::npos) << text[0].status;
  // A picture removed after loading, and one overwritten with text.
  const fs::path gone = s[0].extra["image"].get<std::string>();
  const fs::path bad = s[1].extra["image"].get<std::string>();
  const std::string folder = gone.parent_path().string();
  fs::remove(gone);
  std::ofstream(bad) << "not a picture";
  const auto res = runner(m, true)->run(jobs(d, {&s[0], &s[1], &s[2]}));
  EXPECT_EQ(res[0].status, "image: file " + gone.filename().string() + " is missing from the image "
            "folder " + folder + " (it was there when the data was loaded)");
  EXPECT_EQ(res[1].status.rfind("image: " + bad.string() + ": not a PNG or JPEG image", 0), 0u)
      << res[1].status;
  EXPECT_NE(res[1].status.find("(image folder " + folder + ")"), std::string::npos) << res[1].status;
  EXPECT_TRUE(res[2].ok()) << res[2].status;
}

}  // namespace
}  // namespace t2::run
