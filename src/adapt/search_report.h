// The records of a CEM search (search.h): per-generation history, the resumable state file
// (JSON, written atomically after every generation), the final evaluation, the mixture file the
// search produces and its HDF5 report.
//
// Report layout (HDF5): root attributes format = "t2-search-report", command, config, version,
// git_revision, task, experts (comma list), shots, seed, dim, pop, generations; datasets
// shots [n] (item indices), history/mean [G, dim], history/std [G, dim] (what the generation was
// sampled from), history/alpha [G, pop, dim], history/fitness [G, pop], history/tiebreak [G, pop],
// history/elites [G, n_elites], history/best [G, dim], history/best_fitness [G],
// history/best_tiebreak [G], history/seconds [G], history/n_errors [G] (pairs whose generation
// or scoring failed, counted as wrong); final/alpha [dim], final/correct [n_items]
// (i32, -1 = error), attributes final accuracy_clean, accuracy_all, n_clean, n_all, seconds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapt/candidate_scorer.h"
#include "adapt/cem.h"
#include "adapt/eval_run.h"

namespace t2::adapt {

struct SearchConfig;

struct GenerationRecord {
  int generation = 0;
  std::vector<double> mean, std;  // sampled from
  std::vector<double> alpha;      // [pop, dim]
  std::vector<double> fitness, tiebreak;  // [pop]
  std::vector<int> elites;
  std::vector<double> best;
  double best_fitness = 0.0, best_tiebreak = 0.0;
  double seconds = 0.0;
  int64_t n_errors = 0;  // (candidate, shot) pairs that failed (not degenerate mixtures)
};

struct SearchState {
  CemState state;
  std::vector<GenerationRecord> history;
};

nlohmann::json search_state_to_json(const SearchState& s, const std::string& config_text);
SearchState search_state_from_json(const nlohmann::json& j, const CemConfig& c,
                                   const std::string& what);

// Fitness (accuracy on the shots) and tie-break (mean over correct shots of the mean generated
// log-prob; 0 without a correct shot) of every candidate from the unit results (units of
// `batch` candidates in order).
GenerationRecord record_generation(const CemConfig& c, const CemState& sampled_from,
                                   const std::vector<double>& candidates,
                                   const std::vector<nlohmann::json>& unit_results, int batch,
                                   size_t n_shots);

struct FinalResult {
  std::vector<int32_t> correct;  // per item: 1, 0, or -1 (error)
  double accuracy_clean = 0.0;   // on the non-shot items
  double accuracy_all = 0.0;     // on every item
  double seconds = 0.0;
};
FinalResult final_result(const std::vector<nlohmann::json>& unit_results, size_t n_items,
                         const std::vector<size_t>& rest, const std::vector<int64_t>& shots);

// The best α as a mixture file (svf/mixture.h) naming the experts by absolute path and checksum.
void save_search_mixture(const SearchConfig& c, const svf::ExpertBank& bank,
                         const std::vector<double>& alpha);
void write_search_report(const SearchConfig& c, const BuildInfo& build, const CemConfig& cem,
                         const SearchState& s, const std::vector<int64_t>& shots,
                         const FinalResult& fin);
std::string format_alpha(const std::vector<double>& a);

}  // namespace t2::adapt
