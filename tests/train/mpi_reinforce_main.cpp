// REINFORCE under mpirun: every rank trains with the world communicator (samples split over
// ranks) and, alone, with the local communicator; the experts must be bit-identical, so the result
// does not depend on the rank count. All ranks agree on the exit status.
#include <cstdio>

#include "dist/comm/mpi_comm.h"
#include "rl_setup.h"

int main(int argc, char** argv) {
  t2::dist::MpiGuard guard(argc, argv);
  const t2::dist::Communicator world = t2::dist::mpi_world();
  t2::test::RlWorld w(24);
  const auto ids = w.ids();
  auto o = t2::test::rl_options();
  o.batch = 7;        // not a multiple of the rank count
  o.micro_batch = 2;  // units of 2, 2, 2, 1 samples: every rank gets work, one gets two units
  auto dist_tr = w.trainer(o, world);
  auto local_tr = w.trainer(o);
  double rd = 0, rl = 0;
  for (int it = 0; it < 6; ++it) {
    rd += dist_tr->step(ids).mean_reward;
    rl += local_tr->step(ids).mean_reward;
  }
  const double acc_d = dist_tr->accuracy(ids).accuracy;
  const double acc_l = local_tr->accuracy(ids).accuracy;
  double bad = (dist_tr->expert().p != local_tr->expert().p || rd != rl || acc_d != acc_l) ? 1 : 0;
  if (bad > 0)
    std::fprintf(stderr, "rank %d: %d-rank and 1-rank experts differ (rewards %g vs %g)\n",
                 world.rank(), world.size(), rd, rl);
  world.all_reduce_sum(std::span<double>(&bad, 1));
  if (world.rank() == 0)
    std::printf("%s: %d ranks vs 1 rank, 6 iterations, accuracy %.3f vs %.3f\n",
                bad > 0 ? "FAIL" : "PASS", world.size(), acc_d, acc_l);
  return bad > 0 ? 1 : 0;
}
