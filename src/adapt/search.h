// `t2 search`: few-shot CEM over expert-mixture weights (PROTOCOL.md §5) as a distributed job.
// Rank 0 owns the CEM state and its RNG; each generation's candidates go out as work units of
// --batch candidates (only α vectors travel), worker groups score a unit's candidates × shots as one
// generation batch (candidate_scorer.h; the SVF door decides dense or factored), rank 0 collects
// fitness and tie-break values and updates the state. Units are formed from the configuration alone, so any
// world size gives the same result. After every generation the state and history are written
// atomically to OUT.search.json; --resume continues from it (a generation cut short is rerun from
// its start with the same draws, so a resumed search ends identical to an uninterrupted one).
// At the end the best α is saved as a mixture file (--out) and evaluated on the non-shot samples
// (clean) and on all samples (reference-compatible); --report gets the full history in HDF5.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "adapt/eval_run.h"  // BuildInfo
#include "dist/comm/communicator.h"
#include "tasks/task_options.h"

namespace t2::adapt {

struct SearchConfig {
  std::string model_dir, tokenizer, chat_template, svd;
  std::vector<std::pair<std::string, std::string>> experts;  // label, file
  std::string task, data;
  std::string images;  // image tasks: folder of the pictures ("" = beside the data file)
  int64_t limit = 0;         // > 0: only these records of --data (task_data.h), as `t2 eval --limit`
  int64_t subset_seed = -1;  // with limit: a seeded subset instead of the first records
  int shots = 10;
  int64_t seed = -1;  // shot shuffle and CEM draws; < 0 = the task's few-shot seed
  int pop = 32;
  double elite_ratio = 0.2;
  int generations = 50;
  double min = 0.0, max = 1.0;
  bool per_layer = true;   // one α per expert per adapted matrix, as the reference's few-shot runs
  bool normalize = false;
  bool tiebreak = true;    // break fitness ties by the re-scored log-likelihood (false: the
                           // reference's ranking by fitness alone)
  int batch = 4;           // candidates per work unit
  int eval_batch = 16;     // samples per unit of the final evaluation
  bool per_candidate = false;  // benchmark baseline: one generation batch per candidate
  std::string svf_apply = "auto";  // how candidates' scalings reach the model (svf/adapter.h)
  size_t svf_cache_bytes = 0;      // dense composition cache (0: about two experts)
  int64_t max_new_tokens = 0;  // 0 = the task's own
  tasks::TaskOptions task_options;  // scoring, prompt file, code execution and sandbox limits
  std::string out, report;
  bool resume = false;
  double silence_timeout_s = 300.0;
};

// Parses "a=F,b=G" (labels unique, non-empty); throws naming the bad entry.
std::vector<std::pair<std::string, std::string>> parse_expert_list(const std::string& text);

// Every problem (settings, files, expert consistency, shots vs samples, resume state), one line
// each. Loads the experts and the data file, never the model.
std::vector<std::string> search_problems(const SearchConfig& c);
void check_search(const SearchConfig& c);  // throws listing every problem

// Canonical text of what determines the result (resume requires it unchanged).
std::string search_config_text(const SearchConfig& c);
std::string search_state_path(const SearchConfig& c);

// Collective over world. Returns this rank's exit status (0, or 75 when stopped by a signal).
int run_search(const SearchConfig& c, const dist::Communicator& world, const BuildInfo& build);

}  // namespace t2::adapt
