// `t2 generate`: one-off generation from token ids (--ids) or text (--prompt, optionally wrapped
// in the checkpoint's chat template with --chat, encoded with its tokenizer.json); prints one
// JSON object with the generated ids (and text when the tokenizer is used), finish reason, token
// counts and time. --stop strings end generation once the decoded text contains them.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "model/generate.h"
#include "svf/adaptation.h"  // --svd/--expert/--mixture
#include "tokenizer/chat_template.h"  // ChatTemplate::render
#include "tokenizer/tokenizer.h"      // Tokenizer

namespace t2::cli {

int run_generate(int argc, char** argv) {
  po::options_description desc("t2 generate: generate tokens from a prompt");
  desc.add_options()
      ("model", po::value<std::string>()->required(), "Hugging Face model directory or .gguf file")
      ("ids", po::value<std::string>(), "prompt token ids, comma-separated (e.g. 128000,9906)")
      ("prompt", po::value<std::string>(),
       "prompt text, encoded with the model's tokenizer (BOS added when the tokenizer adds one)")
      ("chat", po::bool_switch(), "send --prompt as one user turn of the checkpoint's chat template")
      ("stop", po::value<std::vector<std::string>>()->composing(),
       "stop string (repeatable; needs the tokenizer); the text is cut before it")
      ("max-tokens", po::value<int64_t>()->default_value(128), "maximum new tokens")
      ("temperature", po::value<float>()->default_value(0.0f), "0 = greedy; > 0 samples")
      ("top-p", po::value<float>()->default_value(1.0f), "nucleus sampling mass, in (0, 1]")
      ("seed", po::value<uint64_t>()->default_value(0), "seed of the sampling stream")
      ("no-eos", po::bool_switch(), "do not stop at the model's eos token ids");
  svf::AdaptationOptions adapt;
  svf::add_adaptation_options(desc, adapt);
  const auto parsed = parse_options(
      "t2 generate --model DIR (--ids 1,2,3 | --prompt TEXT [--chat]) [--max-tokens N] "
      "[--temperature T] [--top-p P] [--seed S]",
      desc, argc, argv);
  if (parsed.help) return 0;
  svf::check_adaptation_options(adapt);
  const auto& vm = parsed.vm;
  const std::string dir = vm["model"].as<std::string>();
  const bool text_mode = vm.count("prompt") > 0;
  const std::vector<std::string> stops =
      vm.count("stop") ? vm["stop"].as<std::vector<std::string>>() : std::vector<std::string>{};
  T2_CHECK(text_mode != (vm.count("ids") > 0), "give exactly one of --ids and --prompt");
  T2_CHECK(text_mode || (!vm["chat"].as<bool>() && stops.empty()),
           "--chat and --stop need a text --prompt (they use the tokenizer)");
  model::GenerationRequest req;
  std::optional<tokenizer::Tokenizer> tok;
  if (text_mode) {
    tok.emplace(tokenizer::Tokenizer::load(dir));
    const std::string prompt = vm["prompt"].as<std::string>();
    if (vm["chat"].as<bool>()) {
      const std::string text = tok->chat_template().render({{"user", prompt}}, true);
      req.prompt = tok->encode(text, true);  // the template writes BOS itself
    } else {
      if (tok->bos_id() >= 0) req.prompt.push_back(tok->bos_id());
      const auto ids = tok->encode(prompt, true);
      req.prompt.insert(req.prompt.end(), ids.begin(), ids.end());
    }
  } else {
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
  req.max_new_tokens = vm["max-tokens"].as<int64_t>();
  req.sampling.temperature = vm["temperature"].as<float>();
  req.sampling.top_p = vm["top-p"].as<float>();
  T2_CHECK(req.sampling.top_p > 0 && req.sampling.top_p <= 1, "--top-p must be in (0, 1]");
  model::GenerationOptions opt;
  opt.seed = vm["seed"].as<uint64_t>();
  opt.use_eos = !vm["no-eos"].as<bool>();
  auto m = model::LlamaModel::load(dir);
  const svf::Adaptation adaptation = svf::load_adaptation(adapt, *m);
  if (tok) {
    T2_CHECK(tok->vocab_size() <= static_cast<size_t>(m->config().n_vocab),
             "%s: the tokenizer has %zu tokens but the model's vocab_size is %lld", dir.c_str(),
             tok->vocab_size(), static_cast<long long>(m->config().n_vocab));
    if (opt.use_eos) {  // the tokenizer's eos ids include the chat end-of-turn token
      opt.stop_token_ids = m->config().eos_token_ids;
      for (int32_t id : tok->eos_ids())
        if (std::find(opt.stop_token_ids.begin(), opt.stop_token_ids.end(), id) ==
            opt.stop_token_ids.end())
          opt.stop_token_ids.push_back(id);
    }
  }
  // Position of the first stop string in text, or npos.
  auto first_stop = [&](const std::string& text) {
    size_t at = std::string::npos;
    for (const auto& st : stops) at = std::min(at, text.find(st));
    return at;
  };
  if (!stops.empty()) {
    opt.stop_check = [&](int32_t, std::span<const int32_t> gen) {
      return first_stop(tok->decode(std::vector<int32_t>(gen.begin(), gen.end()))) !=
             std::string::npos;
    };
  }
  model::RunContext ctx(m);
  svf::apply_adaptation(ctx, adaptation);
  const auto res = model::generate(ctx, {&req, 1}, opt);
  const auto& r = res[0];
  T2_CHECK(r.finish != model::FinishReason::error, "%s", r.error.c_str());
  nlohmann::json out = {{"ids", r.tokens},
                        {"finish_reason", model::finish_reason_name(r.finish)},
                        {"prompt_tokens", r.n_prompt},
                        {"generated_tokens", r.n_generated},
                        {"seconds", r.seconds}};
  if (tok) {
    std::string text = tok->decode(r.tokens);
    if (const size_t at = first_stop(text); at != std::string::npos) text.resize(at);
    out["text"] = text;
  }
  std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return 0;
}

}  // namespace t2::cli
