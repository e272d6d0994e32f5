// The training decoder with image features spliced into a sequence (SeqExample::embeds), as
// REINFORCE uses it for image tasks on a LLaVA-NeXT checkpoint: on the llava_next_llama_f32
// reference fixture, the decoder's log-probabilities of a prompt with an image equal the
// log-softmax of the logits transformers computed for it (tests/reference/llava), and the
// backward leaves the embedding rows of the image placeholders untouched (the features are inputs).
#include <gtest/gtest.h>

#include <cmath>

#include "../model/llava_fixture.h"
#include "model/llava/model.h"
#include "train/decoder.h"
#include "train/params.h"

namespace t2::train {
namespace {

TEST(TrainImageInputs, LogProbsMatchTransformersAndFeaturesGetNoGradient) {
  const test::LlavaCase c("llava_next_llama_f32");
  auto llava = model::llava::LlavaModel::load(test::llava_dir(c.name));
  const auto& prompt = c.meta["prompts"][0];
  const std::vector<int32_t> ids = prompt["ids"].get<std::vector<int32_t>>();
  const int image = prompt["images"][0].get<int>();
  const std::string file = c.meta["images"][image]["file"].get<std::string>();
  const auto p = llava->expand_prompt(ids, {llava->encode_image_file(test::llava_image(file))});
  ASSERT_EQ(static_cast<int64_t>(p.ids.size()), prompt["expanded_length"].get<int64_t>());
  ASSERT_EQ(p.embeds.size(), 1u);

  ParamSet params = ParamSet::from_model(*llava->language_model());
  params.allocate_grads();
  Decoder dec(params);
  SeqExample e;
  e.tokens = p.ids;
  e.weight.assign(e.tokens.size(), 1.0f);
  e.weight[0] = 0.0f;
  e.embeds = p.embeds;
  const ForwardResult r = dec.run(std::vector{e}, /*backward=*/true);

  // Reference: log-softmax of transformers' logits of the previous position.
  const int64_t nv = llava->config().text.n_vocab;
  const std::vector<float> logits = c.tensors.get("prompt0.logits");  // [n, n_vocab]
  ASSERT_EQ(logits.size(), e.tokens.size() * static_cast<size_t>(nv));
  double worst = 0;
  for (size_t i = 1; i < e.tokens.size(); ++i) {
    const float* row = logits.data() + (i - 1) * nv;
    double mx = row[0], sum = 0;
    for (int64_t v = 0; v < nv; ++v) mx = std::max(mx, double(row[v]));
    for (int64_t v = 0; v < nv; ++v) sum += std::exp(double(row[v]) - mx);
    const double want = double(row[e.tokens[i]]) - mx - std::log(sum);
    worst = std::max(worst, std::fabs(double(r.logp[0][i]) - want));
  }
  EXPECT_LT(worst, 1e-4) << "log p with the image spliced in vs transformers";

  // The same tokens without the features: other log-probabilities (the image reaches the loss).
  SeqExample plain = e;
  plain.embeds.clear();
  params.zero_grads();
  const ForwardResult r0 = dec.run(std::vector{plain}, /*backward=*/false);
  EXPECT_GT(std::fabs(r0.loss - r.loss), 1e-3);

  // Backward with features: the placeholder id's embedding row gets nothing (every occurrence of
  // the id is replaced by a feature row), the prompt's text tokens get their gradient.
  params.zero_grads();
  dec.run(std::vector{e}, /*backward=*/true);
  const int64_t d = llava->config().text.n_embd;
  const int32_t img = llava->config().image_token_id;
  auto row_norm = [&](int32_t id) {
    double s = 0;
    for (int64_t j = 0; j < d; ++j) s += std::fabs(params.embed().g[id * d + j]);
    return s;
  };
  EXPECT_EQ(row_norm(img), 0.0);
  EXPECT_GT(row_norm(ids[1]), 0.0);
  std::printf("decoder vs transformers with an image (%lld features): max |d log p| = %.2e\n",
              static_cast<long long>(p.embeds[0].n), worst);
}

}  // namespace
}  // namespace t2::train
