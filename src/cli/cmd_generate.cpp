// `t2 generate`: one-off generation from token ids (--ids); prints one JSON object with the
// generated ids, finish reason, token counts and time. Text prompts (--prompt, --chat) need the
// tokenizer module and are refused with a clear message until it is wired here.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "model/generate.h"

namespace t2::cli {

int run_generate(int argc, char** argv) {
  po::options_description desc("t2 generate: generate tokens from a prompt");
  desc.add_options()
      ("model", po::value<std::string>()->required(), "Hugging Face model directory")
      ("ids", po::value<std::string>(), "prompt token ids, comma-separated (e.g. 128000,9906)")
      ("prompt", po::value<std::string>(), "prompt text (needs the tokenizer; not available yet)")
      ("chat", po::bool_switch(), "wrap --prompt in the model's chat template (needs the tokenizer)")
      ("max-tokens", po::value<int64_t>()->default_value(128), "maximum new tokens")
      ("temperature", po::value<float>()->default_value(0.0f), "0 = greedy; > 0 samples")
      ("top-p", po::value<float>()->default_value(1.0f), "nucleus sampling mass, in (0, 1]")
      ("seed", po::value<uint64_t>()->default_value(0), "seed of the sampling stream")
      ("no-eos", po::bool_switch(), "do not stop at the model's eos token ids");
  const auto parsed = parse_options(
      "t2 generate --model DIR --ids 1,2,3 [--max-tokens N] [--temperature T] [--top-p P] [--seed S]",
      desc, argc, argv);
  if (parsed.help) return 0;
  const auto& vm = parsed.vm;
  T2_CHECK(!vm.count("prompt") && !vm["chat"].as<bool>(),
           "--prompt/--chat need the tokenizer, which this build does not wire yet; pass token "
           "ids with --ids");
  T2_CHECK(vm.count("ids"), "--ids is required (comma-separated token ids)");
  model::GenerationRequest req;
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
  req.max_new_tokens = vm["max-tokens"].as<int64_t>();
  req.sampling.temperature = vm["temperature"].as<float>();
  req.sampling.top_p = vm["top-p"].as<float>();
  T2_CHECK(req.sampling.top_p > 0 && req.sampling.top_p <= 1, "--top-p must be in (0, 1]");
  model::GenerationOptions opt;
  opt.seed = vm["seed"].as<uint64_t>();
  opt.use_eos = !vm["no-eos"].as<bool>();
  auto m = model::LlamaModel::load(vm["model"].as<std::string>());
  model::RunContext ctx(m);
  const auto res = model::generate(ctx, {&req, 1}, opt);
  const auto& r = res[0];
  T2_CHECK(r.finish != model::FinishReason::error, "%s", r.error.c_str());
  nlohmann::json out = {{"ids", r.tokens},
                        {"finish_reason", model::finish_reason_name(r.finish)},
                        {"prompt_tokens", r.n_prompt},
                        {"generated_tokens", r.n_generated},
                        {"seconds", r.seconds}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace t2::cli
