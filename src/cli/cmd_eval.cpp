// `t2 eval`: evaluates tasks with the base model, an SVF expert or mixture, or two-pass dispatch
// as one process or under mpirun/srun, writing an HDF5 report. Options → adapt::EvalConfig; the
// pipeline itself lives in src/adapt (eval_run.h).
#include <cstdio>

#include "adapt/eval_run.h"
#include "adapt/search.h"  // parse_expert_list
#include "base/error.h"
#include "cli/commands.h"
#include "cli/device_option.h"
#include "cli/options.h"
#include "cli/version.h"  // kVersion, kGitRevision (generated)
#include "dist/comm/communicator.h"
#include "svf/adaptation.h"  // add_apply_options
#include "tasks/task_options.h"

namespace t2::cli {

int run_eval(int argc, char** argv) {
  adapt::EvalConfig c;
  std::vector<std::string> task_names, data_files;
  std::string scoring;
  po::options_description io_opts("Inputs and output");
  io_opts.add_options()
      ("model", po::value(&c.model_dir), "Hugging Face checkpoint folder (config.json, *.safetensors; a LLaVA-NeXT one for image tasks) or .gguf file")
      ("tokenizer", po::value(&c.tokenizer), "tokenizer.json or its folder (default: the model folder)")
      ("chat-template", po::value(&c.chat_template),
       "built-in chat template (llama3, mistral-v0.1, mistral-v0.2, chatml, smollm2) for a checkpoint without one or with one t2 does not know")
      ("task", po::value(&task_names)->composing(),
       "task name (gsm8k, math, arc, mbpp, humaneval, cls, and with a LLaVA-NeXT --model the image "
       "tasks textvqa, okvqa); repeat --task/--data pairs for several")
      ("data", po::value(&data_files)->composing(), "data file of the --task at the same position "
       "(okvqa: the questions file; its annotations file lies beside it)")
      ("images", po::value(&c.images), "folder of the image tasks' pictures (default: images/, "
       "train_images/ or the COCO split folder beside the data file)")
      ("limit", po::value(&c.limit)->default_value(0), "evaluate only the first N records of each task (0 = all)")
      ("subset-seed", po::value(&c.subset_seed)->default_value(-1),
       "with --limit N: evaluate the records at the first N positions of a shuffle seeded with this "
       "value (kept in file order) instead of the first N (-1 = off)")
      ("out", po::value(&c.out), "report file (HDF5) to write")
      ("resume", po::bool_switch(&c.resume), "continue an interrupted run of the same configuration in --out")
      ("overwrite", po::bool_switch(&c.overwrite),
       "replace an existing t2 report (and its journal); any other file at --out is refused");
  std::string experts;
  po::options_description strat("Strategy (default: base model)");
  strat.add_options()
      ("strategy", po::value(&c.strategy),
       "base, expert (--expert), mixture (--mixture), prompt or classifier (two passes: pass 1 labels "
       "each question code/math/reasoning/other, pass 2 answers with that label's expert from "
       "--experts; prompt labels with the base model, classifier under --cls-expert); default: "
       "expert/mixture when that file is given, else base")
      ("svd", po::value(&c.svd), "SVD store of the model (with --expert, --mixture or --experts)")
      ("expert", po::value(&c.expert), "SVF expert file")
      ("mixture", po::value(&c.mixture), "expert mixture file")
      ("experts", po::value(&experts), "two-pass experts: math=F,code=F,reasoning=F")
      ("cls-expert", po::value(&c.cls_expert), "classifier strategy: the expert that runs pass 1")
      ("dispatch-other", po::value(&c.dispatch_other)->default_value("base"),
       "who answers samples labelled other: base (the base model) or reference (the last expert "
       "of --experts, as the reference implementation did)");
  svf::add_apply_options(strat, c.svf_apply, c.svf_cache_mb);
  po::options_description gen("Generation and scoring");
  gen.add_options()
      ("max-new-tokens", po::value(&c.max_new_tokens)->default_value(0),
       "max new tokens per sample (0 = each task's own: 512, MATH/cls 1024)")
      ("seed", po::value(&c.seed)->default_value(0), "job seed of the sampling streams")
      ("temperature", po::value(&c.temperature)->default_value(0.0f, "0"), "sampling temperature (0 = greedy)")
      ("top-p", po::value(&c.top_p)->default_value(1.0f, "1"), "nucleus sampling mass");
  tasks::add_task_options(gen, c.task_options);
  po::options_description par("Parallelism");
  par.add_options()
      ("tp", po::value(&c.tp)->default_value(1), "ranks per model replica (tensor parallelism)")
      ("batch", po::value(&c.batch)->default_value(8), "samples per work unit (one generation batch)")
      ("silence-timeout", po::value(&c.silence_timeout_s)->default_value(120.0, "120"),
       "seconds a worker may stay silent while holding a unit before the job fails (0 = never)");
  po::options_description desc(
      "t2 eval: evaluate tasks and write an HDF5 report.\n"
      "Runs as one process or under mpirun/srun: rank 0 coordinates, the other ranks form groups of\n"
      "--tp ranks (world size = 1 + groups * tp). Exit status 75 = stopped by SIGTERM/SIGUSR1;\n"
      "rerun with --resume");
  add_device_option(par);
  desc.add(io_opts).add(strat).add(gen).add(par);
  const auto parsed = parse_options(
      "t2 eval --model DIR --task T --data FILE [--task T2 --data FILE2 ...] --out REPORT.h5 "
      "[--strategy S --svd SVD.h5 --expert F | --mixture F | --experts math=F,code=F,reasoning=F "
      "[--cls-expert F]] [--limit N [--subset-seed S]] [--tp T] [--batch B] [--max-new-tokens N] [--resume]",
      desc, argc, argv);
  if (parsed.help) return 0;
  apply_device_option(parsed.vm);
  if (task_names.size() != data_files.size())
    throw t2::Error(t2::format("invalid configuration: %zu --task but %zu --data options; give one "
                               "--data file per --task, in the same order",
                               task_names.size(), data_files.size()));
  for (size_t i = 0; i < task_names.size(); ++i) c.tasks.push_back({task_names[i], data_files[i]});
  if (!experts.empty()) c.experts = adapt::parse_expert_list(experts);
  adapt::check_valid(c);  // before MPI starts and before any model is loaded

  const adapt::BuildInfo build{kVersion, kGitRevision};
  return dist::run_on_world(argc, argv, [&](const dist::Communicator& world) {
    return adapt::run_eval(c, world, build);
  });
}

}  // namespace t2::cli
