// The MPI side of the communicator: the RAII guard that owns MPI's lifetime, and the world
// communicator. Nothing here exposes <mpi.h>; only with T2_WITH_MPI (macro T2_HAVE_MPI) is this
// header usable. Programs that may run with or without a launcher create an MpiGuard only when
// launched_by_mpi() says a launcher started them, and use the local communicator otherwise.
#pragma once

#include "dist/comm/communicator.h"

namespace t2::dist {

// True when an MPI launcher (mpirun/mpiexec, srun with PMI/PMIx) started this process: its
// environment carries the launcher's rank variables.
bool launched_by_mpi();

// Initialises MPI (MPI_Init_thread asking for MPI_THREAD_MULTIPLE) unless already initialised and
// sets MPI_ERRORS_RETURN on the world so every return code reaches our checks. The destructor calls
// MPI_Finalize, except while an exception unwinds (finalizing then could block on ranks that will
// never arrive; the launcher tears the job down instead). Not copyable; one per process.
class MpiGuard {
 public:
  MpiGuard(int& argc, char**& argv);
  ~MpiGuard();
  MpiGuard(const MpiGuard&) = delete;
  MpiGuard& operator=(const MpiGuard&) = delete;

  // True when MPI granted MPI_THREAD_MULTIPLE (needed for worker heartbeats).
  bool thread_multiple() const { return thread_multiple_; }

 private:
  bool owns_ = false;
  bool thread_multiple_ = false;
  int uncaught_at_start_ = 0;
};

// MPI_COMM_WORLD as a Communicator (requires an initialised MPI).
Communicator mpi_world();

}  // namespace t2::dist
