// `t2 expert init|show`: create an SVF expert over an SVD store (uniform or the protocol's random
// initialisation) and print an expert's metadata and per-matrix statistics.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "model/weight_names.h"
#include "svf/checkpoint.h"
#include "svf/compose.h"
#include "svf/expert.h"
#include "svf/svd_store.h"

namespace t2::cli {

namespace {

constexpr const char* kUsage = "t2 expert init|show ... (t2 expert init --help, t2 expert show --help)";

// The store's matrices of one kind (mlp / attn / all).
std::vector<std::string> select_matrices(const svf::SvdStore& store, const std::string& which) {
  if (which.empty()) return store.names();
  const svf::MatrixSet set = svf::parse_matrix_set(which);
  std::vector<std::string> out;
  for (const auto& n : store.names()) {
    const auto ref = model::parse_layer_tensor_name(n);
    if (!ref) continue;
    const bool mlp = ref->tensor == model::LayerTensor::gate_proj ||
                     ref->tensor == model::LayerTensor::up_proj ||
                     ref->tensor == model::LayerTensor::down_proj;
    if (set == svf::MatrixSet::all || (set == svf::MatrixSet::mlp) == mlp) out.push_back(n);
  }
  T2_CHECK(!out.empty(), "SVD store '%s' holds no %s matrices", store.path().c_str(),
           which.c_str());
  return out;
}

int expert_init(int argc, char** argv) {
  std::string svd, out, matrices, task;
  double value = 0.1, stddev = 0.01, max_mult = 1.0;
  uint64_t seed = 0;
  po::options_description desc("t2 expert init: a new SVF expert over an SVD store");
  desc.add_options()("svd", po::value(&svd)->required(), "SVD store (t2 decompose)")(
      "out", po::value(&out)->required(), "expert file to write (HDF5)")(
      "value", po::value(&value)->default_value(value),
      "every p = VALUE (0.1: z = sigmoid(0.1) uniform, so W' = W)")(
      "random-seed", po::value(&seed),
      "instead: p = 0.1 + STD * N(0,1), drawn per matrix from this seed (the protocol's init)")(
      "std", po::value(&stddev)->default_value(stddev), "standard deviation for --random-seed")(
      "matrices", po::value(&matrices),
      "adapt only the store's mlp, attn or all matrices (default: every matrix in the store)")(
      "task", po::value(&task)->default_value(""), "task name recorded in the expert")(
      "max-mult", po::value(&max_mult)->default_value(max_mult), "z = sigmoid(p) * MAX_MULT");
  const auto parsed = parse_options(
      "t2 expert init --svd SVD.h5 --out EXPERT.h5 [--value V | --random-seed S [--std X]]", desc,
      argc, argv);
  if (parsed.help) return 0;
  const bool random = parsed.vm.count("random-seed") > 0;
  T2_CHECK(!(random && !parsed.vm["value"].defaulted()),
           "give either --value or --random-seed, not both");
  T2_CHECK(random || parsed.vm["std"].defaulted(), "--std needs --random-seed");
  T2_CHECK(std::isfinite(max_mult) && max_mult > 0, "--max-mult must be > 0, got %g", max_mult);
  const svf::SvdStore store = svf::SvdStore::open(svd);
  const auto names = select_matrices(store, matrices);
  svf::Expert e = random ? svf::init_expert_random(store, names, seed, 0.1, stddev)
                         : svf::init_expert_constant(store, names, static_cast<float>(value));
  e.meta.task = task;
  e.meta.max_mult = max_mult;
  svf::save_expert(e, out);
  std::printf("wrote %s: %zu matrices, %lld parameters (%s)\n", out.c_str(), e.params.size(),
              static_cast<long long>(e.n_params()), e.meta.provenance.c_str());
  return 0;
}

int expert_show(int argc, char** argv) {
  std::string file, svd;
  po::options_description desc("t2 expert show: metadata and per-matrix statistics of an expert");
  desc.add_options()("file", po::value(&file)->required(), "expert file (also the first argument)")(
      "svd", po::value(&svd), "also check it against this SVD store and print c per matrix");
  po::positional_options_description pos;
  pos.add("file", 1);
  const auto parsed = parse_options("t2 expert show FILE [--svd SVD.h5]", desc, argc, argv, &pos);
  if (parsed.help) return 0;
  std::optional<svf::SvdStore> store;
  if (!svd.empty()) store.emplace(svf::SvdStore::open(svd));
  const svf::Expert e = store ? svf::load_expert(file, *store) : svf::load_expert(file);
  std::printf("expert           %s\n", file.c_str());
  std::printf("task             %s\n", e.meta.task.empty() ? "(none)" : e.meta.task.c_str());
  std::printf("provenance       %s\n", e.meta.provenance.c_str());
  std::printf("base fingerprint %s%s\n", e.meta.base_fingerprint.c_str(),
              store ? " (matches the SVD store)" : "");
  std::printf("parameterisation %s, max_mult %g\n", svf::kParameterisation, e.meta.max_mult);
  std::printf("checksum         %s\n", e.checksum().c_str());
  std::printf("size             %zu matrices, %lld parameters\n", e.params.size(),
              static_cast<long long>(e.n_params()));
  for (const auto& [k, v] : e.meta.extra) std::printf("%-16s %s\n", k.c_str(), v.c_str());
  std::printf("\n%-44s %6s %9s %9s %9s %9s %8s %8s%s\n", "matrix", "r", "p mean", "p std",
              "p min", "p max", "z min", "z max", store ? "        c" : "");
  for (const auto& [name, p] : e.params) {
    double sum = 0, sq = 0;
    for (float x : p) sum += x, sq += double(x) * x;
    const double mean = sum / p.size(), sd = std::sqrt(std::max(0.0, sq / p.size() - mean * mean));
    const auto z = e.z(name);
    const auto [zmin, zmax] = std::minmax_element(z.begin(), z.end());
    const auto [pmin, pmax] = std::minmax_element(p.begin(), p.end());
    std::printf("%-44s %6zu %9.4f %9.4f %9.4f %9.4f %8.4f %8.4f", name.c_str(), p.size(), mean, sd,
                double(*pmin), double(*pmax), double(*zmin), double(*zmax));
    if (store) std::printf(" %8.5f", svf::mass_factor(store->read_singular_values(name), z, name));
    std::printf("\n");
  }
  return 0;
}

}  // namespace

int run_expert(int argc, char** argv) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "init") return expert_init(argc - 1, argv + 1);
  if (sub == "show") return expert_show(argc - 1, argv + 1);
  if (sub == "--help" || sub == "-h" || sub.empty()) {
    std::printf("usage: %s\n\n  init   write a new expert over an SVD store\n"
                "  show   print an expert's metadata and per-matrix statistics\n", kUsage);
    return sub.empty() ? 2 : 0;
  }
  T2_FAIL("unknown subcommand '%s'; usage: %s", sub.c_str(), kUsage);
}

}  // namespace t2::cli
