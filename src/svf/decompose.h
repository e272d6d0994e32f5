// Decomposition of a checkpoint's adapted matrices into an SVD store, spread over ranks.
// The ranks are reached through the project's communicator (dist/comm/communicator.h: gather to
// rank 0, broadcast from rank 0), local for one process, MPI under mpirun.
//
// Protocol: rank 0 opens (resume) or creates the store, drops incomplete groups and broadcasts the
// list of matrices still to do. Work proceeds in rounds; in round j, rank q decomposes matrix
// j · size + q. Each round's results are gathered to rank 0, which writes and flushes them before
// the next round, so an interrupted run loses at most one round. Any rank's error stops every rank
// after the round with the same message. Memory on rank 0: one matrix's factors per rank per round.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dist/comm/communicator.h"
#include "svf/svd.h"

namespace t2::svf {

// A weight matrix handed to the decomposition, converted to f32.
struct WeightMatrix {
  std::vector<float> data;  // [n_out, n_in]
  int64_t n_out = 0, n_in = 0;
  std::string dtype;        // dtype in the checkpoint, recorded in the store
};

// Where the matrices come from. Every rank must see the same names, fingerprint and model id.
struct WeightSource {
  std::vector<std::string> names;                            // matrices to decompose, in order
  std::function<WeightMatrix(const std::string& name)> load;  // called on the rank that needs it
  std::string fingerprint;                                    // of the base checkpoint
  std::string model_id;                                       // e.g. the model directory
};

// What rank 0 reports while it decomposes (DecomposeOptions::on_progress).
struct DecomposeProgress {
  int64_t n_done = 0;      // matrices written by this run so far
  int64_t n_todo = 0;      // matrices this run decomposes (those already in the store excluded)
  int64_t n_skipped = 0;   // already complete in the store
  std::string name;        // the matrix just written; "" for the first call, before any work
  int64_t n_out = 0, n_in = 0;
  double seconds = 0;      // its SVD time (on whichever rank computed it)
  double max_error = 0;    // its max |W - U S Vᵀ|
};

struct DecomposeOptions {
  SvdPrecision precision = SvdPrecision::f32;
  bool progress = true;  // rank 0 logs one line per matrix (unless on_progress is set)
  // Rank 0 only: called once before the first round, then after each matrix is written; when set
  // it replaces the log lines of `progress`.
  std::function<void(const DecomposeProgress&)> on_progress;
};

struct DecomposeSummary {
  int64_t n_matrices = 0;  // asked for
  int64_t n_skipped = 0;   // already complete in the store (resume)
  int64_t n_done = 0;      // decomposed by this run
  double max_error = 0;    // max reconstruction error over the whole store
  double seconds = 0;      // wall time of this run
  double svd_seconds = 0;  // summed SVD time over all ranks
};

// Decomposes source.names into the store at store_path (created if absent, resumed otherwise;
// an existing store made from another checkpoint is refused). Collective: every rank calls it.
// Returns the same summary on every rank.
DecomposeSummary decompose_to_store(const std::string& store_path, const WeightSource& source,
                                    const DecomposeOptions& options,
                                    const dist::Communicator& comm);

}  // namespace t2::svf
