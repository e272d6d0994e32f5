// The NCCL communicator (only with T2_WITH_NCCL; `t2 version` says nccl=on): the sums of a
// tensor-parallel group on device buffers, GPU to GPU (NVLink / InfiniBand), behind the same
// Communicator interface the model's all-reduce hook already calls. Everything else — the
// coordinator's work queue, byte messages, barriers, splits — goes to the communicator it was
// made from (MPI), which also carries NCCL's unique id from the group's rank 0 to the others.
// all_reduce_sum(span<float>) sums in place on the device when the span is device memory and
// through the base communicator when it is host memory; double and int64 sums always go through
// the base communicator. Calls are synchronous (the sum is complete on return).
#pragma once

#include "dist/comm/communicator.h"

namespace t2::dist {

// Collective over `group`: every rank passes its CUDA device index (the device its buffers live
// on). Throws t2::Error naming the NCCL call, its result and a hint.
Communicator make_nccl_comm(const Communicator& group, int device);

}  // namespace t2::dist
