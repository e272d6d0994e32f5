// The VQA path end to end, offline, at library level: the mini VQA suite is written, loaded with
// the real TextVQA / OK-VQA loaders, every sample's image is decoded and encoded from its path by a
// random-weight LLaVA-NeXT checkpoint (tests/reference/llava/fixtures), spliced into its prompt and
// answered by generate(); the answers are scored with the VQA metric. Checked: no sample fails,
// a request's tokens do not depend on the other requests of its batch (images included), a rerun
// gives the same answers, the picture changes the model's output, and the vision pass is timed
// per sample. (The random model answers
// nonsense; what is tested is that the path carries images and produces verdicts.)
#include <gtest/gtest.h>
#include <unistd.h>  // getpid

#include <filesystem>

#include "mini/vqa.h"
#include "model/generate.h"
#include "model/llava/model.h"
#include "model/run_context.h"
#include "tasks/vqa.h"

namespace t2 {
namespace {

namespace fs = std::filesystem;

// Stand-in tokenizer for a checkpoint without one: BOS, the image token, then one id per byte.
std::vector<int32_t> ids_for(const std::string& text, int32_t image_token, int64_t n_vocab) {
  std::vector<int32_t> ids = {1, image_token};
  for (unsigned char c : text) ids.push_back(3 + static_cast<int32_t>(c % (n_vocab - 20)));
  return ids;
}

std::string text_of(const std::vector<int32_t>& tokens) {
  std::string s;
  for (int32_t t : tokens) s += t % 7 == 0 ? ' ' : static_cast<char>('a' + t % 26);
  return s;
}

TEST(MiniVqaEndToEnd, ImagesTravelByPathAndComeBackAsVerdicts) {
  const fs::path dir = fs::temp_directory_path() / ("t2_vqa_e2e_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  mini::VqaSuiteOptions o;
  o.n_textvqa_train = 2;
  o.n_textvqa_val = 4;
  o.n_okvqa_val = 4;
  mini::write_vqa_suite(o, dir.string());
  auto llava = model::llava::LlavaModel::load("tests/reference/llava/fixtures/llava_next_llama_f32");
  const int32_t img = llava->config().image_token_id;
  const int64_t nv = llava->config().text.n_vocab;

  for (const auto& [name, file] : {std::pair<std::string, fs::path>{"textvqa", dir / "textvqa" / "TextVQA_0.5.1_val.json"},
                                   {"okvqa", dir / "okvqa" / "OpenEnded_mscoco_val2014_questions.json"}}) {
    auto task = tasks::make_vqa_task(name);
    const tasks::Dataset ds = task->load(file.string());
    ASSERT_TRUE(ds.errors.empty());
    ASSERT_EQ(ds.samples.size(), 4u);
    std::vector<model::GenerationRequest> reqs;
    for (size_t i = 0; i < ds.samples.size(); ++i) {
      const tasks::Sample& s = ds.samples[i];
      // What a worker does with a sample that arrives as a record naming its image.
      auto features = llava->encode_image_file(s.extra["image"].get<std::string>());
      EXPECT_GT(features.seconds, 0.0);
      const tasks::Prompt p = task->build_prompt(s);
      ASSERT_EQ(p.user.find(tasks::kImagePlaceholder), 0u);
      const auto prompt = llava->expand_prompt(ids_for(p.user.substr(7), img, nv), {std::move(features)});
      EXPECT_GT(prompt.vision_seconds, 0.0);
      reqs.push_back(prompt.request(5, {}, i));
    }
    model::RunContext ctx(llava->language_model());
    model::GenerationOptions go;
    go.use_eos = false;
    const auto batch = model::generate(ctx, reqs, go);
    const auto again = model::generate(ctx, reqs, go);
    for (size_t i = 0; i < reqs.size(); ++i) {
      ASSERT_EQ(batch[i].finish, model::FinishReason::max_tokens) << batch[i].error;
      const auto alone = model::generate(ctx, std::vector{reqs[i]}, go);
      EXPECT_EQ(alone[0].tokens, batch[i].tokens) << name << " sample " << i;
      EXPECT_EQ(again[i].tokens, batch[i].tokens);
      const tasks::Verdict v = task->score(ds.samples[i], text_of(batch[i].tokens), {});
      EXPECT_TRUE(v.status == "ok" || v.status == "no_answer") << v.status;
      EXPECT_GE(v.credit, 0.0);
      EXPECT_LE(v.credit, 1.0);
    }
    // The same question with another picture gives other next-token logits: the image reaches
    // the language model.
    const std::vector<int32_t> q = ids_for(ds.samples[0].question, img, nv);
    std::vector<std::vector<float>> last;
    for (size_t k : {0, 1}) {
      const auto pr = llava->expand_prompt(q, {llava->encode_image_file(ds.samples[k].extra["image"].get<std::string>())});
      ctx.clear_all();
      std::vector<model::SeqChunk> chunk{{ctx.add_sequence(), pr.ids, model::OutputRows::last, pr.embeds}};
      const int64_t n = llava->language_model()->forward(ctx, chunk);
      const float* lg = llava->language_model()->logits(ctx, 0, n);
      last.emplace_back(lg, lg + nv);
    }
    EXPECT_NE(last[0], last[1]) << name;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace t2
