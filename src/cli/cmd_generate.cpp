// `t2 generate`: one-off generation from token ids (--ids) or text (--prompt, optionally wrapped
// in the checkpoint's chat template with --chat; run/prompt_encoder.h, one BOS); prints one JSON
// object with the generated ids (and text when the tokenizer is used), finish reason, token counts
// and time. --stop strings end generation once the decoded text contains them. An expert or a
// mixture reaches the model through the SVF door (svf/adaptation.h).
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/device_option.h"
#include "cli/options.h"
#include "model/generate.h"
#include "model/llava/checkpoint.h"  // load_model
#include "run/prompt_encoder.h"  // PromptEncoder, StopStrings
#include "svf/adaptation.h"      // --svd/--expert/--mixture

namespace t2::cli {

int run_generate(int argc, char** argv) {
  po::options_description desc("t2 generate: generate tokens from a prompt");
  desc.add_options()
      ("model", po::value<std::string>()->required(), "Hugging Face model directory or .gguf file (a LLaVA-NeXT directory: its language model)")
      ("ids", po::value<std::string>(), "prompt token ids, comma-separated (e.g. 128000,9906)")
      ("prompt", po::value<std::string>(),
       "prompt text, encoded with the model's tokenizer (BOS added when the tokenizer adds one)")
      ("chat", po::bool_switch(), "send --prompt as one user turn of the checkpoint's chat template")
      ("stop", po::value<std::vector<std::string>>()->composing(),
       "stop string (repeatable; needs the tokenizer); the text is cut before it")
      ("max-new-tokens", po::value<int64_t>()->default_value(128), "maximum new tokens")
      ("temperature", po::value<float>()->default_value(0.0f), "0 = greedy; > 0 samples")
      ("top-p", po::value<float>()->default_value(1.0f), "nucleus sampling mass, in (0, 1]")
      ("seed", po::value<uint64_t>()->default_value(0), "seed of the sampling stream")
      ("no-eos", po::bool_switch(), "do not stop at the model's eos token ids");
  svf::AdaptationOptions adapt;
  svf::add_adaptation_options(desc, adapt);
  add_device_option(desc);
  const auto parsed = parse_options(
      "t2 generate --model DIR (--ids 1,2,3 | --prompt TEXT [--chat]) [--max-new-tokens N] "
      "[--temperature T] [--top-p P] [--seed S]",
      desc, argc, argv);
  if (parsed.help) return 0;
  svf::check_adaptation_options(adapt);
  const auto& vm = parsed.vm;
  apply_device_option(vm);
  const std::string dir = vm["model"].as<std::string>();
  const bool text_mode = vm.count("prompt") > 0;
  const std::vector<std::string> stops =
      vm.count("stop") ? vm["stop"].as<std::vector<std::string>>() : std::vector<std::string>{};
  T2_CHECK(text_mode != (vm.count("ids") > 0), "give exactly one of --ids and --prompt");
  T2_CHECK(text_mode || (!vm["chat"].as<bool>() && stops.empty()),
           "--chat and --stop need a text --prompt (they use the tokenizer)");
  model::GenerationRequest req;
  req.max_new_tokens = vm["max-new-tokens"].as<int64_t>();
  req.sampling.temperature = vm["temperature"].as<float>();
  req.sampling.top_p = vm["top-p"].as<float>();
  T2_CHECK(req.max_new_tokens >= 1, "--max-new-tokens must be >= 1, got %lld",
           static_cast<long long>(req.max_new_tokens));
  T2_CHECK(std::isfinite(req.sampling.temperature) && req.sampling.temperature >= 0,
           "--temperature must be a finite number >= 0 (0 = greedy), got %g",
           static_cast<double>(req.sampling.temperature));
  T2_CHECK(req.sampling.top_p > 0 && req.sampling.top_p <= 1, "--top-p must be in (0, 1], got %g",
           static_cast<double>(req.sampling.top_p));
  if (!text_mode) {
    for (const auto& s : split_list(vm["ids"].as<std::string>())) {
      size_t used = 0;
      long long v = 0;
      try {
        v = std::stoll(s, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      T2_CHECK(used == s.size() && v >= 0 && v <= INT32_MAX, "--ids: '%s' is not a token id",
               s.c_str());
      req.prompt.push_back(static_cast<int32_t>(v));
    }
  }
  auto m = model::llava::load_model(dir).language;
  std::optional<run::PromptEncoder> enc;
  if (text_mode) {
    enc.emplace(tokenizer::Tokenizer::load(dir), m->config());
    const std::string prompt = vm["prompt"].as<std::string>();
    req.prompt = vm["chat"].as<bool>() ? enc->encode_chat({{"user", prompt}})
                                       : enc->encode_text(prompt);
  }
  model::GenerationOptions opt;
  opt.seed = vm["seed"].as<uint64_t>();
  opt.use_eos = !vm["no-eos"].as<bool>();
  const svf::Adaptation adaptation = svf::load_adaptation(adapt, *m);
  if (enc && opt.use_eos) opt.stop_token_ids = enc->stop_ids();  // eos ids and the end of turn
  std::optional<run::StopStrings> stop_strings;
  if (!stops.empty()) {
    stop_strings.emplace(enc->tokenizer(), 1);
    opt.on_token = [&](int32_t r, int32_t tok) { stop_strings->add(r, tok); };
    opt.stop_check = [&](int32_t r, std::span<const int32_t>) { return stop_strings->hit(r, stops); };
  }
  model::RunContext ctx(m);
  svf::Adapter adapter = svf::make_adapter(*m, adaptation);
  svf::Workload work;
  work.prompt_tokens = {static_cast<int64_t>(req.prompt.size())};
  work.new_tokens = {req.max_new_tokens};
  adapter.attach(ctx, {}, work, adaptation.scaling());
  const auto res = model::generate(ctx, {&req, 1}, opt);
  const auto& r = res[0];
  T2_CHECK(r.finish != model::FinishReason::error, "%s", r.error.c_str());
  nlohmann::json out = {{"ids", r.tokens},
                        {"finish_reason", model::finish_reason_name(r.finish)},
                        {"prompt_tokens", r.n_prompt},
                        {"generated_tokens", r.n_generated},
                        {"seconds", r.seconds}};
  if (enc) out["text"] = enc->completion(r.tokens, false, stops);
  std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return 0;
}

}  // namespace t2::cli
