// `t2 search`: few-shot CEM search over expert-mixture weights (PROTOCOL.md §5) as one process or
// under mpirun/srun. Options → adapt::SearchConfig; the search itself lives in src/adapt (search.h).
#include <algorithm>

#include "adapt/search.h"
#include "base/error.h"
#include "cli/commands.h"
#include "cli/device_option.h"
#include "cli/options.h"
#include "cli/version.h"
#include "dist/comm/communicator.h"
#include "svf/adaptation.h"  // add_apply_options
#include "tasks/task_options.h"

namespace t2::cli {

int run_search(int argc, char** argv) {
  adapt::SearchConfig c;
  std::string experts, alpha = "per-layer", tiebreak = "logprob";
  int64_t svf_cache_mb = 0;
  po::options_description io_opts("Inputs and outputs");
  io_opts.add_options()
      ("model", po::value(&c.model_dir), "Hugging Face checkpoint folder (a LLaVA-NeXT one for image tasks) or .gguf file")
      ("tokenizer", po::value(&c.tokenizer), "tokenizer.json or its folder (default: the model folder)")
      ("chat-template", po::value(&c.chat_template), "built-in chat template for a checkpoint without one")
      ("svd", po::value(&c.svd), "SVD store of the model")
      ("experts", po::value(&experts), "experts to mix: LABEL=FILE[,LABEL=FILE...] (K experts)")
      ("task", po::value(&c.task), "target task (arc, humaneval, math, or any task with --seed)")
      ("data", po::value(&c.data), "the target task's test file; shots are drawn from it")
      ("images", po::value(&c.images), "image tasks (textvqa, okvqa, with a LLaVA-NeXT --model): "
       "folder of the pictures (default: the task's folders beside --data)")
      ("limit", po::value(&c.limit)->default_value(0), "use only the first N records of --data (0 = all)")
      ("subset-seed", po::value(&c.subset_seed)->default_value(-1),
       "with --limit N: the records at the first N positions of a shuffle seeded with this value, as "
       "t2 eval --subset-seed (-1 = off)")
      ("out", po::value(&c.out), "mixture file (HDF5) to write with the best weights; the resumable "
       "state goes to OUT.search.json")
      ("report", po::value(&c.report), "search report (HDF5): history per generation, final accuracy")
      ("resume", po::bool_switch(&c.resume), "continue from OUT.search.json (same settings required)");
  po::options_description cem("CEM (defaults: PROTOCOL.md section 5)");
  cem.add_options()
      ("shots", po::value(&c.shots)->default_value(10), "few-shot samples: the first N of a seeded shuffle")
      ("seed", po::value(&c.seed)->default_value(-1), "seed of the shot shuffle and the CEM draws "
       "(-1 = the task's: arc 38, humaneval 16, math 27)")
      ("pop", po::value(&c.pop)->default_value(32), "candidates per generation")
      ("elite-ratio", po::value(&c.elite_ratio)->default_value(0.2, "0.2"),
       "elites = floor(ratio * pop), at least 2")
      ("generations", po::value(&c.generations)->default_value(50), "CEM generations")
      ("min", po::value(&c.min)->default_value(0.0, "0"), "lower bound of every weight (samples are clamped)")
      ("max", po::value(&c.max)->default_value(1.0, "1"), "upper bound of every weight")
      ("alpha", po::value(&alpha)->default_value(alpha),
       "mixture weights: per-layer (one per expert per adapted matrix, as the reference's few-shot "
       "runs) or global (one per expert)")
      ("normalize", po::bool_switch(&c.normalize), "divide the weights of each matrix by their sum")
      ("tiebreak", po::value(&tiebreak)->default_value(tiebreak),
       "rank candidates of equal fitness by: logprob (the teacher-forced log-likelihood of their "
       "correct outputs) or none (fitness alone, as the reference ranks its elites)");
  po::options_description run_opts("Generation and parallelism");
  run_opts.add_options()
      ("max-new-tokens", po::value(&c.max_new_tokens)->default_value(0),
       "max new tokens (0 = the task's own)")
      ("batch", po::value(&c.batch)->default_value(4),
       "candidates per work unit: their candidates x shots share one generation batch")
      ("eval-batch", po::value(&c.eval_batch)->default_value(16), "samples per unit of the final evaluation")
      ("per-candidate", po::bool_switch(&c.per_candidate),
       "benchmark baseline: one generation batch per candidate instead of one shared batch")
      ("silence-timeout", po::value(&c.silence_timeout_s)->default_value(300.0, "300"),
       "seconds a worker may stay silent while holding a unit (0 = never)");
  po::options_description desc(
      "t2 search: few-shot CEM search of expert-mixture weights; writes the best mixture, then\n"
      "evaluates it on the non-shot samples (clean) and on all samples (reference-compatible).\n"
      "Under mpirun rank 0 owns the CEM state and the other ranks score candidates. Exit status 75 =\n"
      "stopped by SIGTERM/SIGUSR1; rerun with --resume");
  svf::add_apply_options(run_opts, c.svf_apply, svf_cache_mb);
  add_device_option(run_opts);
  po::options_description scoring("Scoring");
  tasks::add_task_options(scoring, c.task_options);
  desc.add(io_opts).add(cem).add(run_opts).add(scoring);
  const auto parsed = parse_options(
      "t2 search --model DIR --svd SVD.h5 --experts a=F,b=F,c=F --task T --data FILE --out MIX.h5 "
      "[--shots 10] [--pop 32] [--generations 50] [--report R.h5] [--resume]",
      desc, argc, argv);
  if (parsed.help) return 0;
  apply_device_option(parsed.vm);
  if (!experts.empty()) c.experts = adapt::parse_expert_list(experts);
  T2_CHECK(alpha == "per-layer" || alpha == "global", "--alpha must be per-layer or global, got '%s'",
           alpha.c_str());
  T2_CHECK(tiebreak == "logprob" || tiebreak == "none", "--tiebreak must be logprob or none, got '%s'",
           tiebreak.c_str());
  c.per_layer = alpha == "per-layer";
  c.tiebreak = tiebreak == "logprob";
  c.svf_cache_bytes = static_cast<size_t>(std::max<int64_t>(svf_cache_mb, 0)) << 20;
  adapt::check_search(c);  // before MPI starts and before any model is loaded
  const adapt::BuildInfo build{kVersion, kGitRevision};
  return dist::run_on_world(argc, argv, [&](const dist::Communicator& world) {
    return adapt::run_search(c, world, build);
  });
}

}  // namespace t2::cli
