// `t2 train`: REINFORCE training of an SVF expert on a task (PROTOCOL.md §2), one process or under
// mpirun (samples split over ranks, identical experts for any rank count). Wiring only: the
// trainer is train/reinforce.h, the outer loop train/train_run.h, tasks come from tasks/.
#include <omp.h>

#include <cblas.h>  // openblas_set_num_threads
#include <sys/resource.h>  // getrusage (peak RSS)
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "dist/comm/communicator.h"
#ifdef T2_HAVE_MPI
#include "dist/comm/mpi_comm.h"
#endif
#include "model/llama/model.h"
#include "svf/checkpoint.h"  // adapted_matrix_names, checkpoint_fingerprint
#include "svf/svd_store.h"
#include "tasks/classify.h"  // build_classification_sets
#include "tasks/sandbox/sandbox.h"
#include "tasks/splits.h"
#include "tasks/task.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "train/train_run.h"

namespace t2::cli {

namespace {

std::vector<int32_t> prompt_ids(const tokenizer::Tokenizer& tok, const tasks::Prompt& p) {
  std::vector<tokenizer::Message> msgs;
  if (!p.system.empty()) msgs.push_back({"system", p.system});
  msgs.push_back({"user", p.user});
  return tok.encode(tok.chat_template().render(msgs, true) + p.prefill, /*parse_special=*/true);
}

// Text before the first stop string.
std::string cut_at_stop(std::string text, const std::vector<std::string>& stops) {
  size_t cut = text.size();
  for (const std::string& s : stops)
    if (!s.empty()) cut = std::min(cut, text.find(s));
  return text.substr(0, cut);
}

}  // namespace

int run_train(int argc, char** argv) {
  std::string model_dir, svd_path, task_name, data, test_data, cls_sources, matrices = "mlp";
  train::ReinforceOptions ro;
  train::TrainRunOptions run;
  int64_t max_new = 0;
  int threads = 0;
  bool allow_code = false, sequential = false;
  po::options_description desc("t2 train: REINFORCE training of an SVF expert");
  desc.add_options()
      ("model", po::value(&model_dir)->required(), "base checkpoint directory (Hugging Face layout, with tokenizer)")
      ("svd", po::value(&svd_path)->required(), "SVD store of that checkpoint; computed and written "
       "there first when the file does not exist")
      ("task", po::value(&task_name)->required(), "task: gsm8k, arc, mbpp, math, humaneval, cls")
      ("data", po::value(&data), "the task's training file: even lines train / odd valid "
       "(GSM8K, ARC); MBPP: the whole file, split 200 train / 100 valid / rest test")
      ("cls-sources", po::value(&cls_sources), "cls only: TASK=FILE,... (e.g. gsm8k=train.jsonl,"
       "arc=ARC-Easy-Train.jsonl,mbpp=mbpp.jsonl); their train splits, labelled by category, split "
       "4:1 into train and test (the test part also serves as valid)")
      ("test-data", po::value(&test_data), "test file (GSM8K, ARC); evaluated every --test-interval")
      ("out", po::value(&run.out)->required(), "best-by-valid expert (HDF5); OUT.latest.h5, "
       "OUT.ckpt.h5 and OUT.history.tsv are written beside it")
      ("matrices", po::value(&matrices)->default_value(matrices), "adapted matrices: mlp, attn or all")
      ("iters", po::value(&run.iters)->default_value(run.iters), "iterations")
      ("batch", po::value(&ro.batch)->default_value(ro.batch), "prompts per iteration (drawn without replacement)")
      ("micro-batch", po::value(&ro.micro_batch)->default_value(ro.micro_batch),
       "samples generated and differentiated together; ranks share the batch in units of this "
       "size (results depend on it, not on the rank count)")
      ("lr", po::value(&ro.lr)->default_value(ro.lr), "Adam learning rate")
      ("max-grad-norm", po::value(&ro.max_grad_norm)->default_value(ro.max_grad_norm), "global gradient-norm clip (0: none)")
      ("kl-coef", po::value(&ro.kl_coef)->default_value(ro.kl_coef), "weight of KL(base || expert) at generated tokens")
      ("max-mult", po::value(&ro.max_mult)->default_value(ro.max_mult), "z = sigmoid(p) * max-mult")
      ("max-new-tokens", po::value(&max_new)->default_value(0), "generation limit (0: the task's prompt setting)")
      ("test-interval", po::value(&run.test_interval)->default_value(run.test_interval), "evaluate train/valid/test every N iterations")
      ("train-eval-limit", po::value(&run.train_eval_limit)->default_value(0), "evaluate only the first N "
       "training samples for the train accuracy (0: all)")
      ("eval-limit", po::value(&run.eval_limit)->default_value(0), "evaluate only the first N valid "
       "and test samples (0: all; for quick checks — reported accuracies are then on that subset)")
      ("seed", po::value(&ro.seed)->default_value(ro.seed), "seed of p's initialisation and the batch draws")
      ("resume", po::bool_switch(&run.resume), "continue from OUT.ckpt.h5 when it exists")
      ("allow-code", po::bool_switch(&allow_code), "run generated programs in the sandbox (code tasks)")
      ("threads", po::value(&threads)->default_value(0), "OpenMP/BLAS threads per process (0: default)")
      ("sequential-rollouts", po::bool_switch(&sequential),
       "generate rollouts one sequence per forward instead of batched (reference path for "
       "benchmarks; the same tokens)");
  const auto parsed = parse_options("t2 train --model DIR --svd SVD.h5 --task T --data FILE --out "
                                    "EXPERT.h5 [--iters N] [--batch B] [--resume]", desc, argc, argv);
  if (parsed.help) return 0;
  if (threads > 0) {
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
  }
#ifdef T2_HAVE_MPI
  std::optional<dist::MpiGuard> guard;
  dist::Communicator comm;
  if (dist::launched_by_mpi()) {
    guard.emplace(argc, argv);
    comm = dist::mpi_world();
  }
#else
  dist::Communicator comm;
#endif
  auto task = tasks::make_task(task_name);
  T2_CHECK(!task->runs_code() || allow_code, "task %s runs generated code; pass --allow-code to "
           "run it in the sandbox", task_name.c_str());
  std::unique_ptr<tasks::sandbox::Sandbox> sandbox;
  if (task->runs_code()) sandbox = std::make_unique<tasks::sandbox::Sandbox>();

  auto model = model::LlamaModel::load(model_dir);
  const auto tok = tokenizer::Tokenizer::load(model_dir);
  if (!std::filesystem::exists(svd_path)) {  // decompose once, on rank 0, and cache
    if (comm.rank() == 0) {
      std::fprintf(stderr, "train: %s does not exist; decomposing the %s matrices of %s into it\n",
                   svd_path.c_str(), matrices.c_str(), model_dir.c_str());
      svf::LocalCollective local;
      svf::decompose_to_store(svd_path, svf::weight_source_from_dir(model_dir,
                              svf::parse_matrix_set(matrices)), svf::DecomposeOptions{}, local);
    }
    comm.barrier();
  }
  const auto store = svf::SvdStore::open(svd_path);
  run.base_fingerprint = svf::checkpoint_fingerprint(model->weights().files());
  store.check_fingerprint(run.base_fingerprint, model_dir);
  std::vector<train::SvfMatrix> svd;
  for (const std::string& name :
       svf::adapted_matrix_names(model->config().n_layer, svf::parse_matrix_set(matrices))) {
    const svf::Svd s = store.read(name);
    svd.push_back({name, s.n_out, s.n_in, s.r, s.u, s.s, s.v});
  }

  // Samples and splits.
  auto load = [](const tasks::Task& t, const std::string& path) {
    tasks::Dataset d = t.load(path);
    T2_CHECK(d.errors.empty(), "%s: %zu bad records, first: %s", path.c_str(), d.errors.size(),
             d.errors.empty() ? "" : d.errors[0].message.c_str());
    return d;
  };
  auto train_indices = [](const std::string& name, size_t n, tasks::Split split) {
    return name == "mbpp" ? tasks::mbpp_split(n, split) : tasks::even_odd_split(n, split);
  };
  std::vector<tasks::Sample> samples;  // every sample used, indexed by RlSample::id
  train::EvalSets sets;
  std::vector<std::string> stops;
  auto add = [&](const tasks::Sample& s, std::vector<train::RlSample>& to) {
    const tasks::Prompt p = task->build_prompt(s);
    stops = p.stop;
    if (max_new == 0) max_new = p.max_new_tokens;
    train::RlSample r;
    r.id = static_cast<int64_t>(samples.size());
    r.prompt = prompt_ids(tok, p);
    r.answer = s.gold;
    samples.push_back(s);
    to.push_back(std::move(r));
  };
  if (task_name == "cls") {
    T2_CHECK(!cls_sources.empty() && data.empty(), "--task cls takes --cls-sources instead of --data");
    std::vector<tasks::Sample> pool;
    for (const std::string& item : split_list(cls_sources)) {
      const size_t eq = item.find('=');
      T2_CHECK(eq != std::string::npos, "--cls-sources: expected TASK=FILE, got '%s'", item.c_str());
      const std::string name = item.substr(0, eq);
      auto src_task = tasks::make_task(name);
      const tasks::Dataset d = load(*src_task, item.substr(eq + 1));
      for (size_t i : train_indices(name, d.samples.size(), tasks::Split::train))
        pool.push_back(d.samples[i]);
    }
    const tasks::ClassificationSets cs = tasks::build_classification_sets(pool, ro.seed);
    for (const tasks::Sample& s : cs.train) add(s, sets.train);
    for (const tasks::Sample& s : cs.test) add(s, sets.valid);
    sets.test = sets.valid;
  } else if (task_name == "mbpp") {
    T2_CHECK(!data.empty(), "--data is required for task %s", task_name.c_str());
    const tasks::Dataset ds = load(*task, data);
    for (auto [split, to] : {std::pair{tasks::Split::train, &sets.train},
                             std::pair{tasks::Split::valid, &sets.valid},
                             std::pair{tasks::Split::test, &sets.test}})
      for (size_t i : tasks::mbpp_split(ds.samples.size(), split)) add(ds.samples[i], *to);
  } else {
    T2_CHECK(!data.empty(), "--data is required for task %s", task_name.c_str());
    const tasks::Dataset ds = load(*task, data);
    for (size_t i : tasks::even_odd_split(ds.samples.size(), tasks::Split::train)) add(ds.samples[i], sets.train);
    for (size_t i : tasks::even_odd_split(ds.samples.size(), tasks::Split::valid)) add(ds.samples[i], sets.valid);
    if (!test_data.empty()) {
      const tasks::Dataset td = load(*task, test_data);
      for (const tasks::Sample& s : td.samples) add(s, sets.test);
    }
  }
  T2_CHECK(!sets.train.empty(), "no training samples in %s", data.c_str());
  ro.max_new_tokens = max_new;
  ro.batched_rollouts = !sequential;
  ro.eos_ids = tok.eos_ids();
  for (int32_t e : model->config().eos_token_ids) ro.eos_ids.push_back(e);
  ro.stop = [&](const std::vector<int32_t>& gen) {
    const std::string text = tok.decode(gen);
    for (const std::string& s : stops)
      if (!s.empty() && text.find(s) != std::string::npos) return true;
    return false;
  };
  tasks::ScoreOptions so;
  so.sandbox = sandbox.get();
  const train::ScoreFn score = [&](const train::RlSample& r, const std::vector<int32_t>& gen) {
    const std::string text = cut_at_stop(tok.decode(gen), stops);
    return task->score(samples[static_cast<size_t>(r.id)], text, so).correct;
  };
  run.task = task_name;
  run.provenance = "t2 train " + effective_config_ini(parsed.vm);
  if (comm.rank() == 0)
    std::fprintf(stderr, "train: %s, %zu train / %zu valid / %zu test samples, %zu matrices, "
                 "%d rank(s)\n", task_name.c_str(), sets.train.size(), sets.valid.size(),
                 sets.test.size(), svd.size(), comm.size());
  train::ReinforceTrainer trainer(model, std::move(svd), ro, comm);
  train::run_reinforce(trainer, sets, score, run, comm, [&](const train::HistoryRow& r) {
    if (comm.rank() != 0) return;
    // other: scoring, Adam and recomposing the adapted matrices (U · diag(s) · Vᵀ).
    const double other = r.t_total - r.t_rollout - r.t_forward - r.t_backward - r.t_allreduce;
    std::fprintf(stderr, "iter %4lld  reward %+.3f  loss %+.4e  |g| %.3e  |p| %.3f  %.1f s "
                 "(rollout %.1f, fwd %.1f, bwd %.1f, exch %.2f, other %.1f)",
                 static_cast<long long>(r.iteration), r.mean_reward, r.loss, r.grad_norm,
                 r.param_norm, r.t_total, r.t_rollout, r.t_forward, r.t_backward, r.t_allreduce,
                 r.iteration > 0 ? other : 0.0);
    if (r.valid_acc >= 0)
      std::fprintf(stderr, "  acc train %.3f valid %.3f test %.3f", r.train_acc, r.valid_acc, r.test_acc);
    std::fprintf(stderr, "\n");
  });
  if (comm.rank() == 0) {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::fprintf(stderr, "wrote %s (peak RSS of rank 0: %.0f MB)\n", run.out.c_str(),
                 static_cast<double>(ru.ru_maxrss) / 1024.0);
  }
  return 0;
}

}  // namespace t2::cli
