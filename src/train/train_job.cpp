// Settings, checks and the setup of a REINFORCE run; see train_job.h.
#include "train/train_job.h"

#include <sys/resource.h>  // getrusage (peak RSS)

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "base/error.h"
#include "base/progress.h"
#include "model/fingerprint.h"
#include "model/llama/model.h"
#include "model/llava/checkpoint.h"  // load_model, describe_model_kind
#include "model/llava/config.h"      // is_llava_checkpoint
#include "run/sample_runner.h"
#include "svf/checkpoint.h"  // adapted_matrix_names, weight_source_from_dir
#include "svf/svd_store.h"
#include "tasks/classify.h"  // build_classification_sets
#include "tasks/splits.h"
#include "tasks/vqa.h"  // is_image_task, set_image_dir
#include "tensor/linalg.h"  // set_threads
#include "tokenizer/tokenizer.h"

namespace t2::train {

namespace po = boost::program_options;
namespace fs = std::filesystem;

void add_train_options(po::options_description& desc, TrainConfig& c) {
  ReinforceOptions& ro = c.reinforce;
  TrainRunOptions& run = c.run;
  po::options_description io("Inputs and outputs");
  io.add_options()
      ("model", po::value(&c.model), "base checkpoint (Hugging Face folder, with its tokenizer; "
       "a LLaVA-NeXT folder trains its language model)")
      ("chat-template", po::value(&c.chat_template),
       "built-in chat template (llama3, mistral-v0.1, mistral-v0.2) for a checkpoint without one")
      ("svd", po::value(&c.svd), "SVD store of that checkpoint; computed and written there first "
       "when the file does not exist")
      ("matrices", po::value(&c.matrices)->default_value(c.matrices),
       "adapted matrices: mlp, attn or all")
      ("task", po::value(&c.task), "task: gsm8k, arc, mbpp, math, humaneval, cls, or with a "
       "LLaVA-NeXT --model the image tasks textvqa, okvqa")
      ("images", po::value(&c.images), "image tasks: folder of the pictures (default: images/, "
       "train_images/ or the COCO split folder beside the data file)")
      ("data", po::value(&c.data), "the task's training file: even lines train / odd valid "
       "(GSM8K, ARC); MBPP: the whole file, split 200 train / 100 valid / rest test")
      ("cls-sources", po::value(&c.cls_sources), "cls only: TASK=FILE,... (e.g. gsm8k=train.jsonl,"
       "arc=ARC-Easy-Train.jsonl,mbpp=mbpp.jsonl); their train splits, labelled by category, split "
       "4:1 into train and test, and every 8th train question kept apart for valid")
      ("test-data", po::value(&c.test_data), "test file (GSM8K, ARC); evaluated every --test-interval")
      ("out", po::value(&run.out), "best-by-valid expert (HDF5; iteration 0, the initial expert, "
       "when nothing beats it); OUT.latest.h5, OUT.ckpt.h5 and OUT.history.tsv are written beside it")
      ("resume", po::bool_switch(&run.resume), "continue from OUT.ckpt.h5 when it exists");
  po::options_description rl("REINFORCE (defaults: PROTOCOL.md section 2)");
  rl.add_options()
      ("iters", po::value(&run.iters)->default_value(run.iters), "iterations (>= 1)")
      ("batch", po::value(&ro.batch)->default_value(ro.batch),
       "prompts per iteration, drawn afresh without repeats; capped at the training set's size")
      ("micro-batch", po::value(&ro.micro_batch)->default_value(ro.micro_batch),
       "samples generated and differentiated together; ranks share the batch in units of this "
       "size (results depend on it, not on the rank count)")
      ("lr", po::value(&ro.lr)->default_value(ro.lr), "Adam learning rate (> 0)")
      ("max-grad-norm", po::value(&ro.max_grad_norm)->default_value(ro.max_grad_norm),
       "global gradient-norm clip (>= 0; 0: none)")
      ("kl-coef", po::value(&ro.kl_coef)->default_value(ro.kl_coef),
       "weight of KL(base || expert) at the answer tokens (>= 0)")
      ("max-mult", po::value(&ro.max_mult)->default_value(ro.max_mult), "z = sigmoid(p) * max-mult (> 0)")
      ("logprob-tokens", po::value(&c.logprob_tokens)->default_value(c.logprob_tokens),
       "ids whose log-probability the loss counts: retokenized (the answer text cut at the stop "
       "string and re-tokenized, as the reference does) or generated (the generated ids, a final "
       "end-of-turn id included)")
      ("max-new-tokens", po::value(&c.max_new_tokens)->default_value(0),
       "generation limit (0: the task's own)")
      ("test-interval", po::value(&run.test_interval)->default_value(run.test_interval),
       "evaluate train/valid/test every N iterations")
      ("train-eval-limit", po::value(&run.train_eval_limit)->default_value(0),
       "evaluate only the first N training samples for the train accuracy (0: all)")
      ("eval-limit", po::value(&run.eval_limit)->default_value(0), "evaluate only the first N valid "
       "and test samples (0: all; for quick checks — reported accuracies are then on that subset)")
      ("seed", po::value(&ro.seed)->default_value(ro.seed),
       "seed of p's initialisation and the batch draws")
      ("svf-apply", po::value(&c.svf_apply)->default_value(c.svf_apply),
       "how the expert reaches the rollouts: auto (by estimated cost), dense or factored")
      ("threads", po::value(&c.threads)->default_value(0), "CPU threads per process (0: default)");
  po::options_description scoring("Scoring");
  tasks::add_task_options(scoring, c.task_options);
  desc.add(io).add(rl).add(scoring);
}

std::vector<std::string> train_problems(const TrainConfig& c) {
  std::vector<std::string> p;
  const auto add = [&](std::string s) { p.push_back(std::move(s)); };
  const auto finite_at_least = [&](const char* name, double v, double lo, bool strict) {
    if (!std::isfinite(v) || v < lo || (strict && v == lo))
      add(t2::format("--%s must be a finite number %s %g, got %g", name, strict ? ">" : ">=", lo, v));
  };
  if (c.model.empty()) add("--model is required");
  else if (!fs::exists(c.model)) add("--model " + c.model + ": no such file or folder");
  if (c.svd.empty()) add("--svd is required (an existing store, or where to write one)");
  if (c.run.out.empty()) add("--out EXPERT.h5 is required");
  else if (fs::is_directory(c.run.out)) add("--out " + c.run.out + " is a folder; give a file name");
  const auto known = tasks::task_names();
  if (c.task.empty()) add("--task is required");
  else if (std::find(known.begin(), known.end(), c.task) == known.end())
    add("--task " + c.task + ": unknown task");
  if (c.task == "cls") {
    if (c.cls_sources.empty() || !c.data.empty())
      add("--task cls takes --cls-sources TASK=FILE,... instead of --data");
  } else if (!c.task.empty()) {
    if (c.data.empty()) add("--data is required for task " + c.task);
    else if (!fs::is_regular_file(c.data)) add("--data " + c.data + ": not a readable file");
  }
  if (tasks::is_image_task(c.task) && fs::is_directory(c.model) &&
      !model::llava::is_llava_checkpoint(c.model))
    add("--task " + c.task + " asks questions about images, but --model " + c.model + " is " +
        model::llava::describe_model_kind(c.model) + "; give a LLaVA-NeXT checkpoint (config.json "
        "model_type llava_next)");
  if (!c.images.empty() && !tasks::is_image_task(c.task))
    add("--images is for the image tasks (textvqa, okvqa); task " + c.task + " has no images");
  else if (!c.images.empty() && !fs::is_directory(c.images))
    add("--images " + c.images + ": no such folder");
  if (!c.test_data.empty() && !fs::is_regular_file(c.test_data))
    add("--test-data " + c.test_data + ": not a readable file");
  try {
    svf::parse_matrix_set(c.matrices);
  } catch (const t2::Error& e) {
    add(e.what());
  }
  if (c.run.iters < 1) add(t2::format("--iters must be >= 1, got %lld", static_cast<long long>(c.run.iters)));
  if (c.reinforce.batch < 1) add("--batch must be >= 1");
  if (c.reinforce.micro_batch < 1) add("--micro-batch must be >= 1");
  finite_at_least("lr", c.reinforce.lr, 0, true);
  finite_at_least("max-grad-norm", c.reinforce.max_grad_norm, 0, false);
  finite_at_least("kl-coef", c.reinforce.kl_coef, 0, false);
  finite_at_least("max-mult", c.reinforce.max_mult, 0, true);
  if (c.max_new_tokens < 0) add("--max-new-tokens must be >= 0 (0: the task's own)");
  if (c.run.test_interval < 1) add("--test-interval must be >= 1");
  if (c.run.train_eval_limit < 0 || c.run.eval_limit < 0)
    add("--train-eval-limit and --eval-limit must be 0 (all) or positive");
  if (c.threads < 0) add("--threads must be >= 0");
  try {
    parse_logprob_tokens(c.logprob_tokens);
  } catch (const t2::Error& e) {
    add(e.what());
  }
  try {
    svf::parse_apply_mode(c.svf_apply);
  } catch (const t2::Error& e) {
    add(e.what());
  }
  for (auto& s : tasks::validate_task_options(c.task_options)) add(std::move(s));
  return p;
}

namespace {

tasks::Dataset load_clean(const tasks::Task& t, const std::string& path) {
  tasks::Dataset d = t.load(path);
  T2_CHECK(d.errors.empty(), "%s: %zu bad records, first: %s", path.c_str(), d.errors.size(),
           d.errors.empty() ? "" : d.errors[0].message.c_str());
  T2_CHECK(!d.samples.empty(), "%s holds no %s records", path.c_str(), std::string(t.name()).c_str());
  return d;
}

// The samples of every split, as ids into `samples`.
struct Data {
  std::vector<tasks::Sample> samples;
  EvalSets sets;
};

Data load_data(const TrainConfig& c, const tasks::Task& task) {
  Data d;
  std::vector<tasks::Sample> train, valid, test;
  if (c.task == "cls") {
    std::vector<tasks::Sample> pool;
    std::string list = c.cls_sources;
    for (size_t start = 0; start <= list.size();) {
      const size_t comma = std::min(list.find(',', start), list.size());
      const std::string item = list.substr(start, comma - start);
      start = comma + 1;
      if (item.empty()) continue;
      const size_t eq = item.find('=');
      T2_CHECK(eq != std::string::npos, "--cls-sources: expected TASK=FILE, got '%s'", item.c_str());
      const std::string name = item.substr(0, eq);
      const tasks::Dataset ds = load_clean(*tasks::make_task(name), item.substr(eq + 1));
      for (size_t i : tasks::training_split(name, ds.samples.size(), tasks::Split::train))
        pool.push_back(ds.samples[i]);
    }
    const tasks::ClassificationSets cs = tasks::build_classification_sets(pool, c.reinforce.seed);
    for (size_t i = 0; i < cs.train.size(); ++i) (i % 8 == 7 ? valid : train).push_back(cs.train[i]);
    test = cs.test;
  } else {
    const tasks::Dataset ds = load_clean(task, c.data);
    for (auto [split, to] : {std::pair{tasks::Split::train, &train},
                             std::pair{tasks::Split::valid, &valid},
                             std::pair{tasks::Split::test, &test}})
      for (size_t i : tasks::training_split(c.task, ds.samples.size(), split))
        to->push_back(ds.samples[i]);
    if (!c.test_data.empty()) {
      T2_CHECK(test.empty(), "task %s has its test split inside --data; drop --test-data",
               c.task.c_str());
      test = load_clean(task, c.test_data).samples;
    }
  }
  T2_CHECK(!train.empty(), "no training samples in %s", c.data.c_str());
  for (auto [from, to] : {std::pair{&train, &d.sets.train}, std::pair{&valid, &d.sets.valid},
                          std::pair{&test, &d.sets.test}})
    for (tasks::Sample& s : *from) {
      to->push_back(static_cast<int64_t>(d.samples.size()));
      d.samples.push_back(std::move(s));
    }
  return d;
}

}  // namespace

int run_train(TrainConfig c, const dist::Communicator& comm) {
  const auto problems = train_problems(c);
  if (!problems.empty()) throw t2::Error(problem_list("invalid settings", problems));
  tensor::set_threads(c.threads);
  auto task = tasks::make_task(c.task);
  if (!c.images.empty()) tasks::set_image_dir(*task, c.images);
  tasks::require_code_execution_allowed(*task, c.task_options);
  tasks::apply_prompt_file(*task, c.task_options);
  const std::unique_ptr<tasks::sandbox::Sandbox> sandbox =
      task->runs_code() ? tasks::make_sandbox(c.task_options) : nullptr;
  Data data = load_data(c, *task);

  const model::llava::LoadedModel loaded = model::llava::load_model(c.model);
  auto model = loaded.language;  // a LLaVA-NeXT checkpoint: its language model is trained
  const svf::MatrixSet set = svf::parse_matrix_set(c.matrices);
  if (!fs::exists(c.svd)) {  // decompose once, on rank 0, and cache
    if (comm.rank() == 0) {
      std::fprintf(stderr, "train: %s does not exist; decomposing the %s matrices of %s into it\n",
                   c.svd.c_str(), c.matrices.c_str(), c.model.c_str());
      svf::decompose_to_store(c.svd, svf::weight_source_from_dir(c.model, set),
                              svf::DecomposeOptions{}, dist::Communicator());
    }
    comm.barrier();
  }
  const auto store = svf::SvdStore::open(c.svd);
  const std::vector<std::string> matrices = svf::adapted_matrix_names(model->config().n_layer, set);
  auto factors = std::make_shared<const svf::FactorSet>(svf::FactorSet::load(store, *model, matrices));
  c.run.base_fingerprint = store.base_fingerprint();
  c.run.task = c.task;

  run::RunnerOptions ro;
  ro.max_new_tokens = c.max_new_tokens;
  ro.scoring = tasks::parse_scoring_mode(c.task_options.scoring);
  ro.chat_template = c.chat_template;
  ro.apply = svf::parse_apply_mode(c.svf_apply);
  run::SampleRunner runner(model, tokenizer::Tokenizer::load(c.model), ro, sandbox.get(), factors);
  if (loaded.has_vision()) runner.set_vision(loaded.vision);
  std::vector<run::Job> jobs;
  for (const tasks::Sample& s : data.samples) jobs.push_back({task.get(), &s, "", nullptr, 0});
  ReinforceTrainer trainer(model, factors, matrices, c.reinforce,
                           task_rollouts(runner, jobs, parse_logprob_tokens(c.logprob_tokens)),
                           comm);
  if (comm.rank() == 0)
    std::fprintf(stderr, "train: %s, %zu train / %zu valid / %zu test samples, %zu matrices, "
                 "%d rank(s)\n", c.task.c_str(), data.sets.train.size(), data.sets.valid.size(),
                 data.sets.test.size(), matrices.size(), comm.size());
  ProgressOptions po;
  po.label = "train";
  po.unit = "iterations";
  po.rate_unit = "samples";
  po.rate_per_unit = static_cast<double>(std::min<int64_t>(c.reinforce.batch,
                                                           static_cast<int64_t>(data.sets.train.size())));
  po.enabled = comm.rank() == 0;
  Progress progress(po, c.run.iters);
  bool first_row = true;
  run_reinforce(trainer, data.sets, c.run, comm, [&](const HistoryRow& r) {
    if (comm.rank() != 0) return;
    if (first_row) progress.start_from(r.iteration == 0 ? 0 : r.iteration - 1);
    first_row = false;
    // other: scoring, Adam and the expert's scaling.
    const double other = r.t_total - r.t_rollout - r.t_forward - r.t_backward - r.t_allreduce;
    std::string line = t2::format(
        "iter %4lld  reward %+.3f  loss %+.4e  |g| %.3e  |p| %.3f  %.1f s (rollout %.1f, fwd %.1f, "
        "bwd %.1f, exch %.2f, other %.1f)", static_cast<long long>(r.iteration), r.mean_reward,
        r.loss, r.grad_norm, r.param_norm, r.t_total, r.t_rollout, r.t_forward, r.t_backward,
        r.t_allreduce, r.iteration > 0 ? other : 0.0);
    if (r.valid_acc >= 0)
      line += t2::format("  acc train %.3f valid %.3f test %.3f", r.train_acc, r.valid_acc,
                         r.test_acc);
    if (r.n_errors > 0) line += t2::format("  failed rollouts %.0f", r.n_errors);
    progress.message(line);
    progress.update(r.iteration);
  });
  progress.finish();
  if (comm.rank() == 0) {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::fprintf(stderr, "wrote %s (peak RSS of rank 0: %.0f MB)\n", c.run.out.c_str(),
                 static_cast<double>(ru.ru_maxrss) / 1024.0);
  }
  return 0;
}

}  // namespace t2::train
