// Loading any checkpoint the commands accept, and the language model's name map; see checkpoint.h.
#include "model/llava/checkpoint.h"

#include <filesystem>

#include "base/error.h"
#include "io/file.h"  // read_file, file_exists
#include "model/llama/config.h"
#include "model/llava/config.h"

#include <nlohmann/json.hpp>

namespace t2::model::llava {

LoadedModel load_model(const std::string& path, const LoadOptions& opt) {
  LoadedModel m;
  if (std::filesystem::is_directory(path) && is_llava_checkpoint(path)) {
    LlavaLoadOptions lo;
    lo.tp = opt.tp;
    m.vision = LlavaModel::load(path, lo);
    m.language = m.vision->language_model();
    return m;
  }
  m.language = LlamaModel::load(path, opt);
  return m;
}

DecoderLayout decoder_layout(const std::string& dir) {
  DecoderLayout d;
  if (is_llava_checkpoint(dir)) {
    d.config = load_llava_config(dir).text;
    d.stored_name = language_model_names(dir);
    d.llava = true;
    return d;
  }
  d.config = load_llama_config(dir);
  d.stored_name = [](const std::string& canonical) { return canonical; };
  return d;
}

std::string describe_model_kind(const std::string& path) {
  if (std::filesystem::is_regular_file(path)) return "a text-only GGUF checkpoint";
  if (is_llava_checkpoint(path)) return "a LLaVA-NeXT checkpoint (model_type llava_next)";
  const std::string cfg = (std::filesystem::path(path) / "config.json").string();
  std::string type = "?";
  try {
    const auto j = nlohmann::json::parse(io::read_file(cfg));
    if (j.is_object() && j.contains("model_type") && j["model_type"].is_string())
      type = j["model_type"].get<std::string>();
  } catch (const std::exception&) {
  }
  return "a text-only checkpoint (model_type " + type + ")";
}

}  // namespace t2::model::llava
