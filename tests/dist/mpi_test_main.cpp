// main() of the MPI build of the distributed suites (arbor's unit-distributed pattern): MPI is set
// up by the guard, only rank 0 prints gtest's report, and every rank exits with the same status
// (non-zero when any rank failed), so mpirun and ctest see one verdict.
#include <gtest/gtest.h>

#include <optional>

#include "base/log.h"
#include "dist/comm/mpi_comm.h"
#include "test_world.h"

namespace t2::dist::test {
namespace {
std::optional<Communicator> g_world;
}
const Communicator& world() { return *g_world; }
}  // namespace t2::dist::test

int main(int argc, char** argv) {
  t2::dist::MpiGuard guard(argc, argv);
  t2::dist::test::g_world = t2::dist::mpi_world();
  const auto& w = *t2::dist::test::g_world;
  t2::log::set_rank(w.rank(), w.size());
  ::testing::InitGoogleTest(&argc, argv);
  if (w.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  double failed = RUN_ALL_TESTS() != 0 ? 1.0 : 0.0;
  w.all_reduce_sum(std::span<double>(&failed, 1));
  if (w.rank() == 0 && failed > 0) std::fprintf(stderr, "%g rank(s) failed\n", failed);
  const int rc = failed > 0 ? 1 : 0;
  t2::dist::test::g_world.reset();
  return rc;
}
