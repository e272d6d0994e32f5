// World layout: who coordinates and who works. Rank 0 is the coordinator; ranks 1.. form G worker
// groups of T consecutive ranks (T = tensor-parallel degree, `--tp`), each group one model replica
// whose first rank is the group leader. With one process there is no separate coordinator: the
// coordinator logic and a single worker run inline in the same process.
#pragma once

#include "dist/comm/communicator.h"

namespace t2::dist {

enum class Role {
  inline_single,  // world of one process: coordinator and worker in one
  coordinator,    // rank 0 of a multi-process world
  worker,         // member (leader or not) of a worker group
};

struct WorldLayout {
  int world_size = 1;
  int tp = 1;        // ranks per worker group
  int n_groups = 1;  // G
  Role role = Role::inline_single;
  int group = 0;       // this rank's group index (workers and inline), -1 on the coordinator
  int group_rank = 0;  // rank inside the group (0 = leader), -1 on the coordinator
  Communicator group_comm;  // the group (size tp); a one-rank communicator elsewhere

  bool is_leader() const { return role != Role::coordinator && group_rank == 0; }
  // World rank of group g's leader (multi-process worlds only).
  int leader_rank(int g) const { return 1 + g * tp; }
  // Group index of a leader's world rank, or -1 when that rank leads no group.
  int group_of_leader(int world_rank) const;
};

// Collective over world (it splits the group communicators). Throws t2::Error when the world
// size does not fit 1 + G * tp with G >= 1, saying which sizes would.
WorldLayout make_layout(const Communicator& world, int tp);

}  // namespace t2::dist
