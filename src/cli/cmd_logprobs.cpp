// `t2 logprobs`: teacher-forced log-probabilities of token sequences. Input: JSON lines
// {"ids": [...]}; output: one line per input {"logprobs": [...]} with log p(ids[i] | ids[:i]) for
// i = 1 .. n-1, in input order.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/device_option.h"
#include "cli/options.h"
#include "io/line_reader.h"
#include "model/generate.h"
#include "model/llava/checkpoint.h"  // load_model
#include "svf/adaptation.h"  // --svd/--expert/--mixture

namespace t2::cli {

int run_logprobs(int argc, char** argv) {
  po::options_description desc("t2 logprobs: teacher-forced log-probabilities");
  desc.add_options()
      ("model", po::value<std::string>()->required(), "Hugging Face model directory or .gguf file (a LLaVA-NeXT directory: its language model)")
      ("input", po::value<std::string>()->required(), "JSON lines {\"ids\": [...]} ('-' = stdin)")
      ("batch-tokens", po::value<int64_t>()->default_value(1024),
       "tokens per forward pass (sequences are batched and chunked to this budget)");
  size_t max_line_bytes = io::kDefaultMaxLineBytes;
  add_max_line_bytes_option(desc, max_line_bytes);
  svf::AdaptationOptions adapt;
  svf::add_adaptation_options(desc, adapt);
  add_device_option(desc);
  const auto parsed = parse_options(
      "t2 logprobs --model DIR --input IN.jsonl [--svd SVD.h5 --expert E.h5 | --mixture M.h5]",
      desc, argc, argv);
  if (parsed.help) return 0;
  svf::check_adaptation_options(adapt);
  const auto& vm = parsed.vm;
  apply_device_option(vm);
  const std::string input = vm["input"].as<std::string>();
  io::LineReader in(input, max_line_bytes);
  std::vector<std::vector<int32_t>> seqs;
  for (std::string line; in.next(line);) {
    const auto line_no = static_cast<long long>(in.line_number());
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      T2_FAIL("%s:%lld: not valid JSON: %s", input.c_str(), line_no, e.what());
    }
    T2_CHECK(j.is_object() && j.contains("ids") && j["ids"].is_array(),
             "%s:%lld: expected an object with an \"ids\" list", input.c_str(),
             line_no);
    std::vector<int32_t> ids;
    for (const auto& v : j["ids"]) {
      T2_CHECK(v.is_number_integer(), "%s:%lld: \"ids\" must hold integers, found %s",
               input.c_str(), line_no, v.dump().c_str());
      ids.push_back(v.get<int32_t>());
    }
    seqs.push_back(std::move(ids));
  }
  auto m = model::llava::load_model(vm["model"].as<std::string>()).language;
  const svf::Adaptation adaptation = svf::load_adaptation(adapt, *m);
  model::RunContext ctx(m);
  svf::Adapter adapter = svf::make_adapter(*m, adaptation);
  svf::Workload work;
  for (const auto& s : seqs) {
    work.prompt_tokens.push_back(static_cast<int64_t>(s.size()));
    work.new_tokens.push_back(1);
  }
  adapter.attach(ctx, {}, work, adaptation.scaling());
  model::ScoreOptions so;
  so.max_batch_tokens = vm["batch-tokens"].as<int64_t>();
  const auto lps = model::score(ctx, seqs, so);
  for (const auto& lp : lps) {
    std::string out = "{\"logprobs\":[";
    for (size_t i = 0; i < lp.size(); ++i) out += t2::format(i ? ",%.9g" : "%.9g", lp[i]);
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
  }
  return 0;
}

}  // namespace t2::cli
