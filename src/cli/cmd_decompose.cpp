// `t2 decompose`: thin SVD of the adapted matrices of a Hugging Face checkpoint into an SVD store.
// Under mpirun/srun the matrices are spread over the ranks (rank 0 writes); the store is resumable.
// The rank-parallel protocol lives in svf/decompose.h; this file only wires options.
#include <cstdio>
#include <memory>

#include "base/error.h"     // format
#include "base/log.h"
#include "base/progress.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "dist/comm/communicator.h"
#include "svf/checkpoint.h"
#include "svf/decompose.h"
#include "tensor/linalg.h"  // set_threads

namespace t2::cli {

int run_decompose(int argc, char** argv) {
  std::string model_dir, out, matrices = "mlp", precision = "f32";
  int blas_threads = 0;
  bool quiet = false;
  po::options_description desc("t2 decompose: thin SVD of a checkpoint's adapted matrices");
  desc.add_options()("model", po::value(&model_dir)->required(),
                     "Hugging Face model directory (config.json + *.safetensors) or a .gguf file; a "
                     "LLaVA-NeXT folder: its language model's matrices")(
      "out", po::value(&out)->required(),
      "SVD store to write (HDF5); an existing store of the same model is resumed")(
      "matrices", po::value(&matrices)->default_value(matrices),
      "which matrices: mlp (gate/up/down, the protocol's default), attn (q/k/v/o) or all")(
      "precision", po::value(&precision)->default_value(precision),
      "LAPACK precision of the SVD: f32 (sgesdd) or f64 (dgesdd); factors are stored in f32")(
      "blas-threads", po::value(&blas_threads)->default_value(0),
      "BLAS/OpenMP threads per rank (0: library default)")(
      "quiet", po::bool_switch(&quiet), "no per-matrix lines and no progress line");
  const auto parsed = parse_options(
      "t2 decompose --model DIR --out SVD.h5 [--matrices mlp|attn|all] [--precision f32|f64]",
      desc, argc, argv);
  if (parsed.help) return 0;
  svf::DecomposeOptions opt;
  opt.precision = svf::parse_precision(precision);
  opt.progress = !quiet;
  const svf::MatrixSet set = svf::parse_matrix_set(matrices);
  tensor::set_threads(blas_threads);
  return dist::run_on_world(argc, argv, [&](const dist::Communicator& comm) {
    log::set_rank(comm.rank(), comm.size());
    const svf::WeightSource source = svf::weight_source_from_dir(model_dir, set);
    T2_LOG_INFO("decompose: %zu %s matrices of %s on %d rank(s), %s SVD, fingerprint %s",
                source.names.size(), svf::matrix_set_name(set), model_dir.c_str(), comm.size(),
                precision.c_str(), source.fingerprint.c_str());
    // Rank 0: one permanent line per matrix, and the done/total, rate and ETA line.
    std::unique_ptr<Progress> progress;
    if (!quiet && comm.rank() == 0) {
      opt.on_progress = [&](const svf::DecomposeProgress& p) {
        if (p.name.empty()) {
          if (p.n_skipped > 0)
            T2_LOG_INFO("decompose: %lld matrices already in %s, %lld to do",
                        static_cast<long long>(p.n_skipped), out.c_str(),
                        static_cast<long long>(p.n_todo));
          ProgressOptions po;
          po.label = "decompose";
          po.unit = "matrices";
          progress = std::make_unique<Progress>(po, p.n_todo);
          return;
        }
        progress->update(p.n_done);
        progress->message(format("decompose: %s [%lld, %lld] in %.2f s, max |W - USVᵀ| = %.3g",
                                 p.name.c_str(), static_cast<long long>(p.n_out),
                                 static_cast<long long>(p.n_in), p.seconds, p.max_error));
      };
    }
    const svf::DecomposeSummary s = svf::decompose_to_store(out, source, opt, comm);
    if (progress) progress->finish();
    if (comm.rank() == 0) {
      std::printf("decomposed %lld matrices (%lld already in the store) into %s in %.2f s "
                  "(SVD %.2f s summed over ranks); max reconstruction error %.3g\n",
                  static_cast<long long>(s.n_done), static_cast<long long>(s.n_skipped),
                  out.c_str(), s.seconds, s.svd_seconds, s.max_error);
    }
    return 0;
  });
}

}  // namespace t2::cli
