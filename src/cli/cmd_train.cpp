// `t2 train`: REINFORCE training of an SVF expert on a task (PROTOCOL.md §2), one process or under
// mpirun (samples split over ranks, identical experts for any rank count). Options in, one library
// call (train/train_job.h), nothing else.

#include "base/error.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "dist/comm/communicator.h"
#include "train/train_job.h"

namespace t2::cli {

int run_train(int argc, char** argv) {
  train::TrainConfig c;
  po::options_description desc("t2 train: REINFORCE training of an SVF expert");
  train::add_train_options(desc, c);
  const auto parsed = parse_options("t2 train --model DIR --svd SVD.h5 --task T --data FILE --out "
                                    "EXPERT.h5 [--iters N] [--batch B] [--resume]", desc, argc, argv);
  if (parsed.help) return 0;
  c.run.provenance = "t2 train " + effective_config_ini(parsed.vm);
  const auto problems = train::train_problems(c);  // before MPI starts and any model is loaded
  if (!problems.empty()) throw t2::Error(problem_list("invalid settings", problems));
  return dist::run_on_world(argc, argv, [&](const dist::Communicator& world) {
    return train::run_train(c, world);
  });
}

}  // namespace t2::cli
