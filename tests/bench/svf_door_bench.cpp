// The cost of the SVF door (svf/adapter.h) on whole generations, as ratios against the base model
// run interleaved in the same process (medians over --repeats rounds):
//   base           B sequences, no adaptation
//   one expert     every sequence with the same expert (the common case of dispatch: a task whose
//                  samples all go to one expert); auto, which composes W' once and caches it
//   three experts  the sequences split over three experts; auto, dense (forced) and factored
//   cem            --candidates mixtures × --shots sequences (one CEM generation), one-off
//                  weights: one batch per candidate dense (the reference way), one shared batch
//                  factored, and auto
// Generation lengths are fixed (no end-of-sequence stop) so every case does the same work. All runs
// share one RunContext, as a rank's runner does (on a device it keeps the uploaded W' and factors).
// --device cuda (builds with T2_WITH_CUDA) runs the model and the overrides on the GPU; the
// compositions and the choice stay on the host.
// Experts are random scalings over random orthonormal-free factors of the MLP matrices (timing does
// not depend on the factor values); the model comes from --model or is written by `t2 init` from
// --config (random weights). Not a ctest; run e.g.
//   build/tests/bench/svf_door_bench --config shape.json --batch 16 --prompt 32 --gen 32
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/rng.h"
#include "io/file.h"
#include "model/generate.h"
#include "model/random_checkpoint.h"
#include "svf/adapter.h"
#include "svf/checkpoint.h"
#include "tensor/linalg.h"
#ifdef T2_BENCH_CUDA
#include "cuda/cuda_model.h"  // install_cuda_backend
#include "cuda/device.h"      // select_rank_device
#endif

namespace {

using namespace t2;

struct Args {
  std::string model, config, device = "cpu";
  int64_t batch = 16, prompt = 32, gen = 32, candidates = 32, shots = 10, cem_gen = 16;
  int repeats = 3, threads = 0;
  bool skip_cem = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("missing value after " + k);
      return argv[++i];
    };
    if (k == "--model") a.model = next();
    else if (k == "--config") a.config = next();
    else if (k == "--batch") a.batch = std::stoll(next());
    else if (k == "--prompt") a.prompt = std::stoll(next());
    else if (k == "--gen") a.gen = std::stoll(next());
    else if (k == "--candidates") a.candidates = std::stoll(next());
    else if (k == "--shots") a.shots = std::stoll(next());
    else if (k == "--cem-gen") a.cem_gen = std::stoll(next());
    else if (k == "--repeats") a.repeats = std::stoi(next());
    else if (k == "--threads") a.threads = std::stoi(next());
    else if (k == "--skip-cem") a.skip_cem = true;
    else if (k == "--device") a.device = next();
    else throw std::runtime_error("unknown option " + k);
  }
  if (a.model.empty() == a.config.empty()) throw std::runtime_error("give --model DIR or --config JSON");
  if (a.device != "cpu" && a.device != "cuda")
    throw std::runtime_error("--device must be cpu or cuda, got " + a.device);
  return a;
}

std::vector<float> normal(size_t n, uint64_t seed, double scale) {
  Rng rng = Rng::stream(seed, 0, RngPurpose::generic);
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.normal() * scale);
  return v;
}

// Full-rank random factors of every MLP matrix (shapes as the model's).
std::shared_ptr<const svf::FactorSet> random_factors(const model::LlamaModel& m) {
  auto f = std::make_shared<svf::FactorSet>();
  uint64_t seed = 1;
  for (const std::string& name : svf::adapted_matrix_names(m.config().n_layer, svf::MatrixSet::mlp)) {
    const model::Weight& w = m.weights().get(name);
    auto svd = std::make_shared<svf::Svd>();
    svd->n_out = w.rows;
    svd->n_in = w.cols;
    svd->r = std::min(w.rows, w.cols);
    svd->u = normal(static_cast<size_t>(w.rows * svd->r), seed++, 1.0 / std::sqrt(double(w.rows)));
    svd->v = normal(static_cast<size_t>(w.cols * svd->r), seed++, 1.0 / std::sqrt(double(w.cols)));
    svd->s.resize(static_cast<size_t>(svd->r));
    for (int64_t k = 0; k < svd->r; ++k) svd->s[k] = static_cast<float>(1.0 / (1.0 + 0.01 * k));
    f->add(name, svd);
  }
  return f;
}

svf::ScalingSet random_scaling(const svf::FactorSet& f, uint64_t seed) {
  svf::ScalingSet s;
  s.label = "e" + std::to_string(seed);
  for (const std::string& name : f.names())
    s.z[name] = svf::scaling_from_params(normal(static_cast<size_t>(f.get(name).r), seed, 1.0), 1.0);
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse(argc, argv);
  tensor::set_threads(a.threads);
  std::string dir = a.model;
  if (dir.empty()) {
    dir = (std::filesystem::temp_directory_path() / "t2_svf_door_bench_model").string();
    model::write_random_checkpoint(io::read_file(a.config), dir, {});
  }
  if (a.device == "cuda") {
#ifdef T2_BENCH_CUDA
    cuda::select_rank_device();
    cuda::install_cuda_backend();
#else
    throw std::runtime_error("--device cuda: built without T2_WITH_CUDA");
#endif
  }
  const auto m = model::LlamaModel::load(dir);
  const auto factors = random_factors(*m);
  std::vector<svf::ScalingSet> experts;
  for (uint64_t k = 0; k < 3; ++k) experts.push_back(random_scaling(*factors, 100 + k));
  std::vector<svf::ScalingSet> cands;
  for (int64_t c = 0; c < a.candidates; ++c) cands.push_back(random_scaling(*factors, 1000 + c));
  std::printf("model %s: hidden %lld, ff %lld, %lld layers, vocab %lld, %s; %d thread(s); %s\n",
              dir.c_str(), static_cast<long long>(m->config().n_embd),
              static_cast<long long>(m->config().n_ff), static_cast<long long>(m->config().n_layer),
              static_cast<long long>(m->config().n_vocab),
              tensor::dtype_name(m->weights().get(factors->names().front()).dtype),
              tensor::max_threads(), tensor::blas_description().c_str());
  if (m->device()) std::printf("device %s\n", m->device()->description().c_str());

  // What the automatic choice did per case: dense scalings of distinct ones (last round).
  std::map<std::string, svf::AttachStats> chosen;
  // One generation batch: slot j uses per_slot[j]; returns wall seconds (attach included). With
  // a label, the attach statistics are kept under it.
  model::RunContext ctx(m);
  const auto run = [&](svf::Adapter& ad, const std::vector<const svf::ScalingSet*>& per_slot,
                       int64_t n_gen, double reuse, const char* label = nullptr) {
    std::vector<model::GenerationRequest> req(per_slot.size());
    svf::Workload w;
    w.reuse = reuse;
    for (size_t j = 0; j < req.size(); ++j) {
      Rng rng = Rng::stream(7, j, RngPurpose::generic);
      for (int64_t t = 0; t < a.prompt; ++t)
        req[j].prompt.push_back(static_cast<int32_t>(rng.below(static_cast<uint64_t>(m->config().n_vocab))));
      req[j].max_new_tokens = n_gen;
      req[j].id = j;
      w.prompt_tokens.push_back(a.prompt);
      w.new_tokens.push_back(n_gen);
    }
    model::GenerationOptions go;
    go.use_eos = false;
    const auto t0 = std::chrono::steady_clock::now();
    const svf::AttachStats st = ad.attach(ctx, per_slot, w);
    if (label != nullptr) chosen[label] = st;
    model::generate(ctx, req, go);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  svf::Adapter auto_ad(*m, factors), dense_ad(*m, factors, svf::ApplyMode::dense),
      fact_ad(*m, factors, svf::ApplyMode::factored);
  const size_t B = static_cast<size_t>(a.batch);
  const std::vector<const svf::ScalingSet*> base(B, nullptr), one(B, &experts[0]);
  std::vector<const svf::ScalingSet*> three;
  for (size_t j = 0; j < B; ++j) three.push_back(&experts[j * 3 / B]);
  std::vector<const svf::ScalingSet*> cem;
  for (const auto& c : cands)
    for (int64_t s = 0; s < a.shots; ++s) cem.push_back(&c);

  std::map<std::string, std::vector<double>> t;
  for (int r = 0; r < a.repeats; ++r) {
    t["base"].push_back(run(auto_ad, base, a.gen, 1));
    t["one expert, auto"].push_back(run(auto_ad, one, a.gen, 16, "one expert, auto"));
    t["one expert, factored"].push_back(run(fact_ad, one, a.gen, 16));
    t["three experts, auto"].push_back(run(auto_ad, three, a.gen, 16, "three experts, auto"));
    t["three experts, dense"].push_back(run(dense_ad, three, a.gen, 16));
    t["three experts, factored"].push_back(run(fact_ad, three, a.gen, 16));
    if (a.skip_cem) continue;
    const std::vector<const svf::ScalingSet*> cem_base(cem.size(), nullptr);
    t["cem: base"].push_back(run(auto_ad, cem_base, a.cem_gen, 1));
    double sep = 0;
    for (int64_t c = 0; c < a.candidates; ++c) {
      const std::vector<const svf::ScalingSet*> one_cand(static_cast<size_t>(a.shots), &cands[c]);
      sep += run(dense_ad, one_cand, a.cem_gen, 1);
    }
    t["cem: per-candidate dense"].push_back(sep);
    t["cem: shared factored"].push_back(run(fact_ad, cem, a.cem_gen, 1));
    t["cem: shared auto"].push_back(run(auto_ad, cem, a.cem_gen, 1, "cem: shared auto"));
  }
  const double b = median(t["base"]), cb = a.skip_cem ? 0 : median(t["cem: base"]);
  std::printf("%-28s %10s %10s   (B = %zu, prompt %lld, gen %lld; CEM %lld x %lld, gen %lld)\n",
              "case", "median s", "vs base", B, static_cast<long long>(a.prompt),
              static_cast<long long>(a.gen), static_cast<long long>(a.candidates),
              static_cast<long long>(a.shots), static_cast<long long>(a.cem_gen));
  for (const auto& [name, v] : t) {
    const bool is_cem = name.rfind("cem", 0) == 0;
    std::printf("%-28s %10.3f %10.2f", name.c_str(), median(v), median(v) / (is_cem ? cb : b));
    const auto c = chosen.find(name);
    if (c != chosen.end())
      std::printf("   auto: %d of %d scalings dense", c->second.n_dense, c->second.n_distinct);
    std::printf("\n");
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "svf_door_bench: %s\n", e.what());
  return 1;
}
