// Mixtures of SVF experts (PROTOCOL.md §5): weights α per expert, optionally per expert per matrix,
// combined after the sigmoid: z'(m) = Σ_k α_k(m) · z_k(m), with z_k = sigmoid(p_k) · max_mult_k.
// With normalise, α(m) is divided by its sum first. Weights must be finite and ≥ 0 (CEM samples in
// [0, 1]); all-zero weights for a matrix are refused, since W' and c would be undefined.
//
// File layout (HDF5, docs/svf.md): root attributes format = "t2-svf-mixture", format_version,
// base_fingerprint, normalise; datasets experts/labels, experts/paths, experts/checksums
// (strings [K]), alpha [K] (f64), and optionally matrix_names [M] with alpha_matrix [M, K].
// Also here: the ScalingSet (compose.h) of an expert or a mixture.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "svf/compose.h"
#include "svf/expert.h"

namespace t2::svf {

class SvdStore;

struct MixtureExpert {
  std::string label;     // short name, e.g. "math"
  std::string path;      // expert file; relative paths are relative to the mixture file's folder
  std::string checksum;  // Expert::checksum() of the file's content when the mixture was made
};

struct Mixture {
  std::vector<MixtureExpert> experts;    // K
  std::vector<double> alpha;             // [K] weights for every matrix not listed below
  std::vector<std::string> matrix_names; // [M] matrices with their own weights (may be empty)
  std::vector<double> alpha_matrix;      // [M, K]
  bool normalise = false;
  std::string base_fingerprint;

  // The K weights that apply to a matrix (before normalisation).
  std::span<const double> weights_for(const std::string& matrix) const;
};

// Throws unless K ≥ 1, sizes agree, labels are unique and every weight is finite and ≥ 0.
void validate_mixture(const Mixture& mix, const std::string& what);

// Throws unless every matrix with its own weights (matrix_names) is one the experts adapt:
// a misspelt name would otherwise be stored and silently never apply.
void check_mixture_matrices(const Mixture& mix, const std::vector<std::string>& adapted,
                            const std::string& what);

void save_mixture(const Mixture& mix, const std::string& path);  // temp + rename
Mixture load_mixture(const std::string& path);

// Loads the experts a mixture names (in its order), checking each against the recorded checksum
// and against the store (fingerprint, names, lengths); all must adapt the same matrices.
std::vector<Expert> load_mixture_experts(const Mixture& mix, const std::string& mixture_path,
                                         const SvdStore& store);

// z'(m) for one matrix. experts[k] belongs to mix.experts[k].
std::vector<float> mix_scaling(const Mixture& mix, std::span<const Expert> experts,
                               const std::string& matrix);

// The scaling sets a run applies for an expert or a mixture (compose.h).
ScalingSet scaling_from_expert(const Expert& expert, const std::string& label);
ScalingSet scaling_from_mixture(const Mixture& mix, std::span<const Expert> experts,
                                const std::string& label);

}  // namespace t2::svf
