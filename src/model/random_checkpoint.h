// Writes a Hugging Face-layout checkpoint (config.json + model.safetensors) with random weights
// for any Llama-family config: used by `t2 init` for tests and benchmarks at real shapes without
// downloading anything. Projections and embeddings ~ N(0, initializer_range²) (default 0.02), norm
// weights 1, as transformers initialises them. Deterministic in the seed: tensor i, chunk j draws
// from Rng::stream(seed, i * 2^20 + j, init), so the result does not depend on the thread count.
#pragma once

#include <cstdint>
#include <string>

#include "tensor/dtype.h"

namespace t2::model {

struct RandomCheckpointOptions {
  tensor::DType dtype = tensor::DType::bf16;
  uint64_t seed = 0;
};

// config_json: the text of a config.json (validated as a Llama-family config first). Creates
// out_dir if needed; the safetensors file is published atomically. Returns the bytes of weights.
size_t write_random_checkpoint(const std::string& config_json, const std::string& out_dir,
                               const RandomCheckpointOptions& options);

}  // namespace t2::model
