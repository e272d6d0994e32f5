// The bridge from a Hugging Face checkpoint directory to the SVF core: which matrices are adapted
// (PROTOCOL.md §1: MLP gate/up/down by default, attention q/k/v/o on request), the checkpoint's
// fingerprint, and a WeightSource that reads those matrices (converted to f32) for decompose.h,
// from a Llama-family folder or a LLaVA-NeXT folder's language model.
// Reads safetensors through io/ (memory-mapped); never loads the whole model.
#pragma once

#include <string>
#include <vector>

#include "io/safetensors.h"
#include "svf/decompose.h"

namespace t2::svf {

enum class MatrixSet { mlp, attn, all };
MatrixSet parse_matrix_set(const std::string& text);  // "mlp" | "attn" | "all"
const char* matrix_set_name(MatrixSet set);

// Canonical names of the adapted matrices of an n_layer-deep decoder, layer by layer.
std::vector<std::string> adapted_matrix_names(int64_t n_layer, MatrixSet set);

// Matrices of `set` from the model directory (config.json gives the layer count; a LLaVA-NeXT
// folder gives its language model's, read from their language_model.* names), or from a GGUF
// file (dequantized to f32 at load). The returned source keeps the files mapped until it is
// destroyed.
WeightSource weight_source_from_dir(const std::string& dir, MatrixSet set);

}  // namespace t2::svf
