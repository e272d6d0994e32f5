// Cross-entropy method over expert-mixture weights α (PROTOCOL.md §5), as pure state + update with
// no model inside: the search driver (search.h) evaluates candidates and feeds their fitness back.
//
// One generation: candidates[i] = clamp(mean + std ⊙ ε_i, min, max) for i = 0 .. pop-1, except
// that member 0 is the best solution so far once one exists (its draws are then unused). After
// evaluation the candidates are ranked by (fitness desc, tie-break desc, index asc); the first
// floor(elite_ratio · pop) are the elites; the new mean is their mean and the new std their
// unbiased (n − 1) standard deviation, per coordinate. The best so far changes only when this
// generation's top candidate beats it strictly on (fitness, tie-break).
// Draws ε come from Rng::stream(seed, generation, RngPurpose::cem), so a generation's candidates
// depend only on the seed, the generation number and the state: resuming from a saved state after
// a kill gives the same run as never stopping, on any number of ranks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace t2::adapt {

struct CemConfig {
  int dim = 0;               // coordinates per candidate (K, or K · matrices with per-layer)
  int pop = 32;              // candidates per generation
  double elite_ratio = 0.2;  // elites = floor(elite_ratio · pop), at least 2
  double min = 0.0, max = 1.0;
  int generations = 50;
  double init_mean = -1.0;   // < 0: 1 / n_experts
  double init_std = -1.0;    // < 0: (max − min) / 2
  int n_experts = 0;         // K, for the default initial mean
};

// floor(elite_ratio · pop) (with a 1e-9 guard against 0.2 · 10 = 1.999…).
int cem_n_elites(const CemConfig& c);
// Every problem, one line each (empty = valid).
std::vector<std::string> cem_problems(const CemConfig& c);

struct CemState {
  int generation = 0;         // the next generation to run
  std::vector<double> mean;   // [dim]
  std::vector<double> std;    // [dim]
  bool has_best = false;
  std::vector<double> best;   // [dim]
  double best_fitness = 0.0;
  double best_tiebreak = 0.0;
};

CemState cem_initial_state(const CemConfig& c);

// pop · dim standard normals of one generation (row-major [pop][dim]).
std::vector<double> cem_draws(const CemConfig& c, uint64_t seed, int generation);

// The candidates [pop][dim] (row-major) of the state's next generation from the given draws.
std::vector<double> cem_candidates(const CemConfig& c, const CemState& s,
                                   std::span<const double> draws);

struct CemStepResult {
  std::vector<int> ranking;  // all candidates, best first
  std::vector<int> elites;   // the first n_elites of ranking
  bool best_changed = false;
};

// Applies one generation's evaluation to s (mean, std, best, generation + 1). fitness and
// tiebreak have pop entries; NaN in either is refused.
CemStepResult cem_update(const CemConfig& c, CemState& s, std::span<const double> candidates,
                         std::span<const double> fitness, std::span<const double> tiebreak);

// JSON form of a state (doubles round-trip exactly), for resume files.
nlohmann::json cem_state_to_json(const CemState& s);
CemState cem_state_from_json(const nlohmann::json& j, const CemConfig& c, const std::string& what);

}  // namespace t2::adapt
