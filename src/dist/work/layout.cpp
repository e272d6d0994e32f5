// World layout computation and the group split.
#include "dist/work/layout.h"

#include "base/error.h"

namespace t2::dist {

int WorldLayout::group_of_leader(int world_rank) const {
  if (world_rank < 1 || (world_rank - 1) % tp != 0) return -1;
  const int g = (world_rank - 1) / tp;
  return g < n_groups ? g : -1;
}

WorldLayout make_layout(const Communicator& world, int tp) {
  T2_CHECK(tp >= 1, "--tp must be >= 1, found %d", tp);
  WorldLayout l;
  l.world_size = world.size();
  l.tp = tp;
  if (world.size() == 1) {
    T2_CHECK(tp == 1,
             "--tp %d needs a multi-process run: launch 1 + G*%d processes (coordinator plus G "
             "groups of %d), e.g. mpirun -np %d; one process runs inline with --tp 1",
             tp, tp, tp, 1 + tp);
    return l;
  }
  const int n_workers = world.size() - 1;
  const int lo = 1 + (n_workers / tp > 0 ? n_workers / tp : 1) * tp;
  T2_CHECK(n_workers % tp == 0,
           "world size %d does not fit 1 coordinator + G groups of --tp %d ranks; use 1 + G*%d "
           "processes, e.g. %d or %d",
           world.size(), tp, tp, lo, lo + tp);
  l.n_groups = n_workers / tp;
  const int r = world.rank();
  if (r == 0) {
    l.role = Role::coordinator;
    l.group = -1;
    l.group_rank = -1;
    l.group_comm = world.split(0, 0);
  } else {
    l.role = Role::worker;
    l.group = (r - 1) / tp;
    l.group_rank = (r - 1) % tp;
    l.group_comm = world.split(1 + l.group, l.group_rank);
  }
  return l;
}

}  // namespace t2::dist
