// Device discovery and selection: how many GPUs this process sees, which one a rank drives (one GPU
// per rank: the node-local rank modulo the visible devices), and a one-line description for
// `t2 version` and logs. Querying never throws when there is no driver or no device (count 0);
// selecting does, with the reason and a hint.
#pragma once

#include <string>

namespace t2::cuda {

// Visible devices (0 when there is no driver, no device, or CUDA_VISIBLE_DEVICES hides them all).
int device_count();

// Node-local rank announced by the launcher (OMPI_COMM_WORLD_LOCAL_RANK, SLURM_LOCALID,
// MPI_LOCALRANKID, PMI_LOCAL_RANK), 0 without one.
int launcher_local_rank();

// Makes device launcher_local_rank() % device_count() current for this thread and returns its
// index. Throws t2::Error when no device is visible.
int select_rank_device();

// "NVIDIA H100 80GB HBM3 (cc 9.0, 79.1 GiB, 132 SMs)" for device `index`.
std::string describe_device(int index);

// "cuda (2 devices: ...)" or "cuda (no device: <reason>)" for `t2 version`.
std::string backend_summary();

}  // namespace t2::cuda
