// The world communicator a distributed test runs on: the local communicator in the `unit` build,
// MPI_COMM_WORLD in the `mpi` build (see mpi_test_main.cpp). Same test sources for both.
#pragma once

#include "dist/comm/communicator.h"

namespace t2::dist::test {

const Communicator& world();

}  // namespace t2::dist::test
