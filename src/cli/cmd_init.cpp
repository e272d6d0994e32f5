// `t2 init`: writes a Hugging Face-layout checkpoint with random weights for a given config.json
// (tests and benchmarks at real shapes; the layout is the one transformers writes).
#include <cstdio>

#include "base/error.h"
#include "base/timer.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "io/file.h"
#include "model/random_checkpoint.h"

namespace t2::cli {

int run_init(int argc, char** argv) {
  po::options_description desc(
      "t2 init: random-weight checkpoint for a Llama-family config.json.\n"
      "--config FILE.json names the model config (same as --config-json); --config with any other\n"
      "file name is an INI job file as for every command.\n\nOptions");
  desc.add_options()
      ("config-json", po::value<std::string>()->required(),
       "config.json to instantiate (Llama 2/3/3.1/3.2 or Mistral keys); also accepted as "
       "--model-config")
      ("out", po::value<std::string>()->required(),
       "output directory (created); receives config.json and model.safetensors")
      ("dtype", po::value<std::string>()->default_value("bf16"), "weight dtype: bf16 or f32")
      ("seed", po::value<uint64_t>()->default_value(0), "seed of the weight streams");
  // The form is `t2 init --config CONFIG.json`; --config is also the common job-file
  // option, so the command maps it: a .json argument is the model config.
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i + 1 < args.size(); ++i) {
    if (args[i] == "--config" && args[i + 1].size() > 5 &&
        args[i + 1].compare(args[i + 1].size() - 5, 5, ".json") == 0) {
      args[i] = "--config-json";
    } else if (args[i] == "--model-config") {
      args[i] = "--config-json";
    }
  }
  std::vector<char*> av;
  for (auto& a : args) av.push_back(a.data());
  const auto parsed = parse_options(
      "t2 init --config CONFIG.json --out DIR [--dtype bf16|f32] [--seed S]", desc,
      static_cast<int>(av.size()), av.data());
  if (parsed.help) return 0;
  const auto& vm = parsed.vm;
  const std::string dtype = vm["dtype"].as<std::string>();
  model::RandomCheckpointOptions opt;
  if (dtype == "bf16") opt.dtype = tensor::DType::bf16;
  else if (dtype == "f32") opt.dtype = tensor::DType::f32;
  else T2_FAIL("--dtype must be bf16 or f32, got '%s'", dtype.c_str());
  opt.seed = vm["seed"].as<uint64_t>();
  const std::string cfg = vm["config-json"].as<std::string>();
  const std::string out = vm["out"].as<std::string>();
  const Timer timer;
  const size_t bytes = model::write_random_checkpoint(io::read_file(cfg), out, opt);
  std::fprintf(stderr, "t2 init: wrote %s (%.1f MB of %s weights) in %.1f s\n", out.c_str(),
               bytes / 1e6, dtype.c_str(), timer.seconds());
  return 0;
}

}  // namespace t2::cli
