// `t2 eval` as a distributed job: rank 0 coordinates (builds work units, commits results to the
// report, is its only writer), worker groups of --tp ranks each hold one model replica and run
// units through the SampleRunner; with one process everything runs inline. A unit is one batch of
// one task's samples; units are formed from the configuration alone (never from the world size),
// so every world size sees the same batches. Resume skips units whose samples are committed.
//
// Exit status: 0 complete; dist::kExitInterrupted (75) when stopped by SIGTERM/SIGUSR1 (the report
// is consistent; rerun with --resume); t2::Error thrown for bad setup or a dead worker (the report
// is marked failed, committed results stay).
#pragma once

#include <string>

#include "adapt/eval_config.h"
#include "dist/comm/communicator.h"

namespace t2::adapt {

struct BuildInfo {
  std::string version;
  std::string git_revision;
};

// Collective over world: every rank calls it with the same config. Returns this rank's exit status.
int run_eval(const EvalConfig& config, const dist::Communicator& world, const BuildInfo& build);

}  // namespace t2::adapt
