// `t2 decompose`: thin SVD of the adapted matrices of a Hugging Face checkpoint into an SVD store.
// Under mpirun/srun the matrices are spread over the ranks (rank 0 writes); the store is resumable.
// The rank-parallel protocol lives in svf/decompose.h; this file only wires options.
#include <cstdio>

#include "base/log.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "dist/comm/communicator.h"
#include "svf/checkpoint.h"
#include "svf/decompose.h"
#include "tensor/linalg.h"  // set_threads
#ifdef T2_HAVE_MPI
#include "dist/comm/mpi_comm.h"  // MpiGuard, mpi_world, launched_by_mpi
#endif

namespace t2::cli {

int run_decompose(int argc, char** argv) {
  std::string model_dir, out, matrices = "mlp", precision = "f32";
  int blas_threads = 0;
  bool quiet = false;
  po::options_description desc("t2 decompose: thin SVD of a checkpoint's adapted matrices");
  desc.add_options()("model", po::value(&model_dir)->required(),
                     "Hugging Face model directory (config.json + *.safetensors)")(
      "out", po::value(&out)->required(),
      "SVD store to write (HDF5); an existing store of the same model is resumed")(
      "matrices", po::value(&matrices)->default_value(matrices),
      "which matrices: mlp (gate/up/down, the protocol's default), attn (q/k/v/o) or all")(
      "precision", po::value(&precision)->default_value(precision),
      "LAPACK precision of the SVD: f32 (sgesdd) or f64 (dgesdd); factors are stored in f32")(
      "blas-threads", po::value(&blas_threads)->default_value(0),
      "BLAS/OpenMP threads per rank (0: library default)")(
      "quiet", po::bool_switch(&quiet), "no per-matrix progress lines");
  const auto parsed = parse_options(
      "t2 decompose --model DIR --out SVD.h5 [--matrices mlp|attn|all] [--precision f32|f64]",
      desc, argc, argv);
  if (parsed.help) return 0;
  svf::DecomposeOptions opt;
  opt.precision = svf::parse_precision(precision);
  opt.progress = !quiet;
  const svf::MatrixSet set = svf::parse_matrix_set(matrices);
  tensor::set_threads(blas_threads);

  dist::Communicator comm;
#ifdef T2_HAVE_MPI
  std::optional<dist::MpiGuard> mpi;
  if (dist::launched_by_mpi()) {
    mpi.emplace(argc, argv);
    comm = dist::mpi_world();
  }
#endif
  log::set_rank(comm.rank(), comm.size());
  const svf::WeightSource source = svf::weight_source_from_dir(model_dir, set);
  T2_LOG_INFO("decompose: %zu %s matrices of %s on %d rank(s), %s SVD, fingerprint %s",
              source.names.size(), svf::matrix_set_name(set), model_dir.c_str(), comm.size(),
              precision.c_str(), source.fingerprint.c_str());
  const svf::DecomposeSummary s = svf::decompose_to_store(out, source, opt, comm);
  if (comm.rank() == 0) {
    std::printf("decomposed %lld matrices (%lld already in the store) into %s in %.2f s "
                "(SVD %.2f s summed over ranks); max reconstruction error %.3g\n",
                static_cast<long long>(s.n_done), static_cast<long long>(s.n_skipped),
                out.c_str(), s.seconds, s.svd_seconds, s.max_error);
  }
  return 0;
}

}  // namespace t2::cli
