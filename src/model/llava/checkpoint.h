// The one door from a model path to the models the commands run: a Llama-family checkpoint (Hugging
// Face folder or GGUF file) or a LLaVA-NeXT folder (config.json model_type "llava_next"). Every
// command that takes --model (decompose, expert init, train, eval, search, generate, logprobs,
// bench) loads through load_model(), so a LLaVA-NeXT checkpoint works wherever a Llama one does:
// text runs use its language model, image tasks also get the vision side.
//
// Names: the language model of a LLaVA-NeXT checkpoint answers to canonical Llama names
// (model.layers.3.mlp.up_proj.weight, lm_head.weight), which are stored in the files as
// language_model.model.layers.3.mlp.up_proj.weight / language_model.lm_head.weight (or
// model.language_model.layers.3... / lm_head.weight in the newer layout); SVD stores, experts and
// mixtures use the canonical names. decoder_layout() gives the mapping to readers of raw files.
#pragma once

#include <memory>
#include <string>

#include "model/llama/model.h"
#include "model/llava/model.h"

namespace t2::model::llava {

struct LoadedModel {
  std::shared_ptr<const LlamaModel> language;  // the decoder (a LLaVA checkpoint's language model)
  std::shared_ptr<const LlavaModel> vision;    // the whole LLaVA-NeXT model; null for a text model
  bool has_vision() const { return vision != nullptr; }
};

// Loads `path` (opt.tp shards the language model; the vision side is whole on every rank).
// Throws t2::Error naming the path.
LoadedModel load_model(const std::string& path, const LoadOptions& opt = {});

// The language model's config and where each canonical tensor name is stored, for a safetensors
// folder of either kind (identity names for a Llama checkpoint). Throws t2::Error.
struct DecoderLayout {
  LlamaConfig config;
  StoredNameFn stored_name;  // canonical → stored (never empty)
  bool llava = false;
};
DecoderLayout decoder_layout(const std::string& dir);

// canonical → stored names of a LLaVA-NeXT folder's language model (either tensor layout).
StoredNameFn language_model_names(const std::string& dir);

// "model_type llava_next" or "a text-only checkpoint (model_type X)": for error messages.
std::string describe_model_kind(const std::string& path);

}  // namespace t2::model::llava
