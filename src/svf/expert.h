// SVF experts: one parameter vector p [r] per adapted matrix, keyed by canonical HF tensor name,
// with the scaling z = sigmoid(p) · max_mult (PROTOCOL.md §1). An expert is data; it is applied to a
// run through compose.h / overrides, never by changing the model.
//
// File layout (HDF5, docs/svf.md): root attributes format = "t2-svf-expert", format_version,
// base_fingerprint, parameterisation, max_mult, task, provenance, checksum (of the content), plus
// any extra string attributes; group "p" with one f32 dataset [r] per matrix.
// load_expert throws with a message naming file and matrix.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace t2::svf {

class SvdStore;

inline constexpr const char* kParameterisation = "z = sigmoid(p) * max_mult";

struct ExpertMeta {
  std::string base_fingerprint;
  std::string task;        // e.g. "gsm8k", "" when untrained
  std::string provenance;  // how it was made (command, run id, iteration)
  double max_mult = 1.0;
  std::map<std::string, std::string> extra;  // further string attributes, kept on save/load
};

// Value type. Copying copies every p vector (393,216 floats for Llama-3-8B).
struct Expert {
  ExpertMeta meta;
  std::map<std::string, std::vector<float>> params;  // matrix name → p [r]

  // z = sigmoid(p) · max_mult for one matrix; throws naming the matrix when absent.
  std::vector<float> z(const std::string& matrix) const;
  int64_t n_params() const;
  // Content checksum over names, p values and max_mult ("t2ck1-" + 16 hex digits).
  std::string checksum() const;
};

// Writes to a temporary beside path and renames it over path (readers never see half a file).
void save_expert(const Expert& expert, const std::string& path);

// Reads and checks the file on its own: format, attributes, finite values, max_mult > 0.
Expert load_expert(const std::string& path);
// As above, then validate_expert against the SVD store.
Expert load_expert(const std::string& path, const SvdStore& store);

// Fingerprint equal to the store's, every matrix present in the store, every p of length r.
// `what` names the expert in messages (usually its path).
void validate_expert(const Expert& expert, const SvdStore& store, const std::string& what);

// New experts over the given matrices of the store (all complete ones when matrices is empty):
// every p = value, or p = mean + std · N(0, 1) drawn from Rng::stream(seed, hash(name), init),
// so a matrix's draws do not depend on which other matrices are included.
Expert init_expert_constant(const SvdStore& store, const std::vector<std::string>& matrices,
                            float value);
Expert init_expert_random(const SvdStore& store, const std::vector<std::string>& matrices,
                          uint64_t seed, double mean, double std);

}  // namespace t2::svf
