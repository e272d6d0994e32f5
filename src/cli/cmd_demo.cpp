// `t2 demo`: Transformer² in miniature on the embedded mini model (datasets/mini/model) and a
// freshly generated mini suite. Orchestration only: every stage is one run of another t2 command
// (this same binary, as a child process with its own log), so the demo exercises exactly what a
// user would run by hand (the one step in-process writes the MBPP and cls test samples as files,
// mini/demo_suite.h). Every base-vs-expert and base-vs-CEM figure is paired: the same samples for
// both, the standard error of the per-sample difference (demo_paired.h). Results: DIR/demo.json
// (stages, figures) and DIR/tables.txt (the printed tables, and the figures beside them); the
// suite's sizes come from mini/demo_suite.h, the unseen-task figures from demo_unseen.cpp.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "cli/child_process.h"  // run_child
#include "cli/commands.h"
#include "cli/demo_paired.h"
#include "cli/demo_plots.h"     // add_figures
#include "cli/demo_unseen.h"
#include "cli/options.h"
#include "cli/plot_data.h"  // read_history
#include "io/file.h"
#include "io/report.h"
#include "mini/demo_suite.h"

namespace t2::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct DemoOptions {
  std::string out = "results/demo";
  std::string model = "datasets/mini/model";
  bool quick = false;
  int iters = 0, batch = 0, test_interval = 0, max_new = 0, ranks = 1, seed = 2025;
  int shots = 0, cem_pop = 0, cem_generations = 0;
  double lr = 0.02;
};

// One expert to train: the expert's name, its task and files relative to the suite folder.
struct ExpertSpec {
  const char* name;
  const char* task;
  const char* data;
  const char* test;    // --test-data of t2 train: "" for MBPP (its test split is inside mbpp.jsonl)
                       // and cls (t2 train builds its sets)
  const char* paired;  // the same test samples as a file of their own (mini::write_paired_test_files)
};
constexpr ExpertSpec kExperts[] = {
    {"math", "gsm8k", "gsm8k/train.jsonl", "gsm8k/test.jsonl", "gsm8k/test.jsonl"},
    {"code", "mbpp", "mbpp/mbpp.jsonl", "", "mbpp/test.jsonl"},
    {"reasoning", "arc", "arc/ARC-Easy-Train.jsonl", "arc/ARC-Easy-Test.jsonl", "arc/ARC-Easy-Test.jsonl"},
    {"cls", "cls", "", "", "cls/test.jsonl"},  // t2 train builds its sets from the training tasks (--cls-sources)
};

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  T2_CHECK(!ec, "cannot find the t2 binary (/proc/self/exe): %s", ec.message().c_str());
  return p.string();
}

// Last non-empty line of a file ("" when none).
std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

class Demo {
 public:
  Demo(DemoOptions o) : o_(std::move(o)), exe_(self_exe()) {}

  int run();

 private:
  // Runs `t2 ARGS...` as stage `name`; records status, seconds and the log in demo.json.
  bool stage(const std::string& name, std::vector<std::string> args, bool parallel = false);
  void skip(const std::string& name, const std::string& why);
  bool unseen_stages(const std::string& suite, const std::string& svd, const std::vector<std::string>& trained);
  // Base and each trained expert on the experts' test samples (t2 eval), for paired figures.
  bool paired_test_stages(const std::string& suite, const std::string& svd, const std::vector<const ExpertSpec*>& trained);
  std::string test_report(const std::string& who) const { return o_.out + "/test/" + who + ".h5"; }
  json expert_figures(const ExpertSpec& e) const;
  std::string tables(const json& figures) const;
  // Valid/test samples evaluated per expert (0: all); the quick demo only checks the stages run.
  int eval_limit() const { return o_.quick ? 16 : 0; }
  void save() const { io::write_file_atomic(o_.out + "/demo.json", summary_.dump(2) + "\n"); }

  DemoOptions o_;
  std::string exe_;
  json summary_;
  int index_ = 0, total_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

bool Demo::stage(const std::string& name, std::vector<std::string> args, bool parallel) {
  ++index_;
  const std::string log = o_.out + "/logs/" + name + ".log";
  fs::remove(log);
  std::vector<std::string> full;
  if (parallel && o_.ranks > 1)
    full = {"mpirun", "--oversubscribe", "-np", std::to_string(o_.ranks)};
  full.push_back(exe_);
  for (auto& a : args) full.push_back(std::move(a));
  std::string cmd;
  for (const auto& a : full) cmd += (cmd.empty() ? "" : " ") + a;
  if (full[0] == "mpirun") {  // run_child needs a path
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin");
    for (std::string d; std::getline(dirs, d, ':');)
      if (fs::exists(d + "/mpirun")) { full[0] = d + "/mpirun"; break; }
  }
  std::fprintf(stderr, "[%d/%d] %-22s ...\n", index_, total_, name.c_str());
  const auto t0 = std::chrono::steady_clock::now();
  const bool tty = isatty(2);
  const int rc = run_child(full, log, /*append=*/true, [&] {
    if (!tty) return;
    std::string l = last_line(log).substr(0, 90);
    std::fprintf(stderr, "\r      %5.0f s  %-90s\r", std::chrono::duration<double>(
                 std::chrono::steady_clock::now() - t0).count(), l.c_str());
  });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (tty) std::fprintf(stderr, "\r%*s\r", 110, "");
  std::fprintf(stderr, "[%d/%d] %-22s %s in %.1f s\n", index_, total_, name.c_str(),
               rc == 0 ? "done" : "FAILED", secs);
  if (rc != 0) std::fprintf(stderr, "      exit status %d; last log line: %s\n", rc, last_line(log).c_str());
  summary_["stages"].push_back({{"name", name}, {"status", rc == 0 ? "ok" : "failed"},
                                {"exit_status", rc}, {"seconds", secs}, {"command", cmd},
                                {"log", "logs/" + name + ".log"}});
  save();
  return rc == 0;
}

void Demo::skip(const std::string& name, const std::string& why) {
  ++index_;
  std::fprintf(stderr, "[%d/%d] %-22s skipped: %s\n", index_, total_, name.c_str(), why.c_str());
  summary_["stages"].push_back({{"name", name}, {"status", "skipped"}, {"reason", why}});
  save();
}

// Unseen tasks (MATH-, HumanEval-, ARC-Challenge-like): the base model, the prompt-based and
// classifier-based two-pass strategies over the trained experts, and a few-shot CEM search of
// mixture weights per task (which evaluates its mixture on the non-shot samples itself), then a
// side-by-side `t2 report`. Stages whose experts failed to train are skipped with the reason.
bool Demo::unseen_stages(const std::string& suite, const std::string& svd,
                         const std::vector<std::string>& trained) {
  const auto have = [&](const char* e) { return std::find(trained.begin(), trained.end(), e) != trained.end(); };
  const auto expert = [&](const std::string& e) { return o_.out + "/experts/" + e + ".h5"; };
  const std::vector<std::pair<std::string, std::string>> tasks = {
      {"math", "math/test.jsonl"}, {"humaneval", "humaneval/HumanEval.jsonl"}, {"arc", "arc/ARC-Challenge-Test.jsonl"}};
  const std::string experts =
      "math=" + expert("math") + ",code=" + expert("code") + ",reasoning=" + expert("reasoning");
  const bool have_three = have("math") && have("code") && have("reasoning");
  bool ok = true;
  std::vector<std::string> reports;
  for (const std::string strategy : {"base", "prompt", "classifier"}) {
    const std::string name = "unseen-" + strategy;
    if (strategy != "base" && !have_three) {
      skip(name, "the math, code and reasoning experts are needed");
      continue;
    }
    if (strategy == "classifier" && !have("cls")) {
      skip(name, "the cls expert is needed");
      continue;
    }
    std::vector<std::string> a = {"eval", "--model", o_.model, "--out", demo::eval_report(o_.out, strategy),
                                  "--overwrite", "--allow-code-execution",
                                  "--max-new-tokens", std::to_string(o_.max_new), "--strategy", strategy};
    if (strategy != "base") a.insert(a.end(), {"--svd", svd, "--experts", experts});
    if (strategy == "classifier") a.insert(a.end(), {"--cls-expert", expert("cls")});
    for (const auto& [t, f] : tasks) a.insert(a.end(), {"--task", t, "--data", suite + "/" + f});
    if (stage(name, a, true))
      reports.push_back(demo::eval_report(o_.out, strategy));
    else
      ok = false;
  }
  fs::create_directories(o_.out + "/cem");
  for (const auto& [t, f] : tasks) {
    if (!have_three) {
      skip("cem-" + t, "the math, code and reasoning experts are needed");
      continue;
    }
    fs::remove(demo::mixture_file(o_.out, t) + ".search.json");  // a fresh search, not a resume
    ok = stage("cem-" + t, {"search", "--model", o_.model, "--svd", svd, "--experts", experts,
                            "--task", t, "--data", suite + "/" + f, "--out", demo::mixture_file(o_.out, t),
                            "--report", demo::search_report(o_.out, t), "--shots", std::to_string(o_.shots),
                            "--pop", std::to_string(o_.cem_pop), "--generations", std::to_string(o_.cem_generations),
                            "--max-new-tokens", std::to_string(o_.max_new), "--allow-code-execution",
                            // One weight per expert: a population of a dozen cannot search the
                            // per-layer weights (one per expert per matrix) in a few generations.
                            "--alpha", "global"},
               true) && ok;
  }
  if (reports.empty()) {
    skip("report", "no unseen-task reports to tabulate");
    return false;
  }
  std::vector<std::string> a = {"report"};
  a.insert(a.end(), reports.begin(), reports.end());
  return stage("report", a) && ok;
}

// The base model and each trained expert on the experts' test samples: one `t2 eval` of the base
// over the four test files, one per expert (its best-by-valid file) over its own, with the same
// generation limit and sample limit as the training's test figures.
bool Demo::paired_test_stages(const std::string& suite, const std::string& svd,
                              const std::vector<const ExpertSpec*>& trained) {
  fs::create_directories(o_.out + "/test");
  const auto eval = [&](const std::string& who) {
    return std::vector<std::string>{"eval", "--model", o_.model, "--out", test_report(who), "--overwrite",
                                    "--max-new-tokens", std::to_string(o_.max_new),
                                    "--limit", std::to_string(eval_limit()), "--allow-code-execution"};
  };
  std::vector<std::string> base = eval("base");
  for (const ExpertSpec* e : trained) base.insert(base.end(), {"--task", e->task, "--data", suite + "/" + e->paired});
  const bool base_ok = !trained.empty() && stage("test-base", base, true);
  if (trained.empty()) skip("test-base", "no expert was trained");
  bool ok = base_ok;
  for (const ExpertSpec& e : kExperts) {
    const std::string name = std::string("test-") + e.name;
    if (std::find(trained.begin(), trained.end(), &e) == trained.end()) {
      skip(name, "the expert was not trained");
    } else if (!base_ok) {
      skip(name, "the base model's test evaluation failed");
    } else {
      std::vector<std::string> a = eval(e.name);
      a.insert(a.end(), {"--svd", svd, "--expert", o_.out + "/experts/" + e.name + ".h5", "--task", e.task,
                         "--data", suite + "/" + e.paired});
      ok = stage(name, a, true) && ok;
    }
  }
  return ok;
}

// An expert against the base model on the same test samples (the paired `t2 eval` reports), and,
// beside it, what its training history says: the base (iteration 0) and best-by-valid test
// accuracies, over the same samples (cls: over t2 train's whole cls test set, which also holds
// questions of its training set; the paired file leaves those out).
json Demo::expert_figures(const ExpertSpec& e) const {
  const std::string tsv = o_.out + "/experts/" + e.name + ".history.tsv";
  T2_CHECK(fs::exists(tsv), "%s: missing (did the %s stage run?)", tsv.c_str(), e.name);
  const plot::History h = plot::read_history({plot::InputKind::training, tsv, e.name});
  const auto& valid = h.columns.at("valid_acc");
  const auto& test = h.columns.at("test_acc");
  double base = -1, best_valid = -1, best_test = -1;
  int64_t best_iter = 0;
  for (size_t r = 0; r < h.iteration.size(); ++r) {
    if (valid[r] < 0) continue;
    if (h.iteration[r] == 0) base = test[r];
    if (valid[r] > best_valid) {
      best_valid = valid[r];
      best_test = test[r];
      best_iter = h.iteration[r];
    }
  }
  // "train: gsm8k, 20 train / 20 valid / 20 test samples, ..."
  long n_train = 0, n_valid = 0, n_test = 0;
  std::ifstream lg(o_.out + "/logs/expert-" + e.name + ".log");
  for (std::string line; std::getline(lg, line);) {
    const size_t at = line.find(", ");
    if (line.rfind("train: ", 0) == 0 && at != std::string::npos)
      std::sscanf(line.c_str() + at + 2, "%ld train / %ld valid / %ld test", &n_train, &n_valid, &n_test);
  }
  if (eval_limit() > 0) n_test = std::min<long>(n_test, eval_limit());
  json f = {{"expert", e.name}, {"task", e.task}, {"n_train", n_train}, {"n_valid", n_valid},
            {"best_iteration", best_iter}, {"best_valid_acc", best_valid},
            {"history", {{"n_test", n_test}, {"base_test_acc", base}, {"expert_test_acc", best_test}}}};
  // The paired figures, when both test evaluations ran.
  if (!fs::exists(test_report("base")) || !fs::exists(test_report(e.name))) return f;
  const auto verdicts = [&](const std::string& who) {
    const io::ReportData r = io::read_report(test_report(who));
    const auto it = r.tasks.find(e.task);
    T2_CHECK(it != r.tasks.end(), "%s: no %s samples", test_report(who).c_str(), e.task);
    std::map<int64_t, int> v;
    for (const io::SampleRecord& s : it->second) v[s.index] = s.correct;
    return v;
  };
  const json d = to_json(demo::paired_difference(verdicts("base"), verdicts(e.name), {},
                                                  (std::string(e.name) + " expert vs base").c_str()));
  // cls: the paired file leaves out the test questions that are training questions too.
  T2_CHECK(std::string(e.task) == "cls" || d.at("n").get<int64_t>() == n_test,
           "%s expert: %lld paired test samples, but t2 train tested on %ld", e.name,
           static_cast<long long>(d.at("n").get<int64_t>()), n_test);
  f["n_test"] = d.at("n");
  f["base_test_acc"] = d.at("base");
  f["expert_test_acc"] = d.at("other");
  f["paired"] = d;
  f["delta"] = d.at("delta");
  f["noise_2se"] = d.at("noise_2se");
  f["beats_base_beyond_noise"] = d.at("beyond_noise");
  return f;
}

std::string Demo::tables(const json& figures) const {
  std::string t = "Training tasks: test accuracy, base model vs its SVF expert (greedy), paired on the same "
                  "samples (2*SE: standard error of the per-sample difference; beyond noise: delta > 2*SE)\n";
  t += format("%-10s %-6s %s\n", "expert", "task", demo::paired_columns_header("expert").c_str());
  for (const auto& f : figures) {
    if (!f.contains("paired")) continue;
    t += format("%-10s %-6s %s\n", f["expert"].get<std::string>().c_str(), f["task"].get<std::string>().c_str(),
                demo::paired_columns(f["paired"]).c_str());
  }
  return t;
}

int Demo::run() {
  fs::create_directories(o_.out + "/logs");
  fs::create_directories(o_.out + "/experts");
  summary_ = {{"model", o_.model}, {"quick", o_.quick}, {"ranks", o_.ranks}, {"seed", o_.seed},
              {"iters", o_.iters}, {"batch", o_.batch}, {"lr", o_.lr}, {"shots", o_.shots},
              {"cem_pop", o_.cem_pop}, {"cem_generations", o_.cem_generations}, {"stages", json::array()}};
  total_ = 2 + 4 + 5 + 3 + 3 + 1;
  const std::string suite = o_.out + "/suite";
  std::vector<std::string> gen = {"mini-suite", "--out", suite, "--seed", std::to_string(o_.seed)};
  const std::vector<std::string> sizes = mini::size_arguments(mini::demo_suite_options(o_.seed, o_.quick));
  gen.insert(gen.end(), sizes.begin(), sizes.end());
  if (!stage("suite", gen)) return 1;
  // The MBPP test split and the cls test set as files, so that t2 eval can run the base and the
  // experts on exactly the samples t2 train tests on.
  const mini::PairedTestFiles paired = mini::write_paired_test_files(suite, static_cast<uint64_t>(o_.seed));
  summary_["paired_test_files"] = {{"mbpp/test.jsonl", paired.n_mbpp}, {"cls/test.jsonl", paired.n_cls},
                                   {"cls_dropped_as_training_questions", paired.n_cls_dropped}};
  const std::string svd = o_.out + "/svd.h5";
  if (!stage("decompose", {"decompose", "--model", o_.model, "--out", svd, "--quiet"})) return 1;

  json figures = json::array();
  bool all_ok = true;
  std::vector<const ExpertSpec*> trained_specs;
  for (const ExpertSpec& e : kExperts) {
    std::vector<std::string> a = {"train", "--model", o_.model, "--svd", svd, "--task", e.task,
                                  "--data", suite + "/" + e.data, "--out", o_.out + "/experts/" + e.name + ".h5",
                                  "--iters", std::to_string(o_.iters), "--batch", std::to_string(o_.batch),
                                  "--lr", format("%g", o_.lr),
                                  "--test-interval", std::to_string(o_.test_interval),
                                  "--train-eval-limit", o_.quick ? "16" : "50",
                                  "--eval-limit", std::to_string(eval_limit()),
                                  "--max-new-tokens", std::to_string(o_.max_new),
                                  "--seed", std::to_string(o_.seed), "--threads", o_.ranks > 1 ? "1" : "2"};
    if (std::string(e.task) == "cls") {
      // t2 train builds the cls sets itself from the training tasks' train splits (4:1), from
      // the same files in the same order as the paired cls test file.
      const auto at = std::find(a.begin(), a.end(), "--data");
      *at = "--cls-sources";
      std::string sources;
      for (const auto& [task, file] : mini::cls_source_files())
        sources += (sources.empty() ? "" : ",") + task + "=" + suite + "/" + file;
      *(at + 1) = sources;
    } else if (*e.test) {
      a.insert(a.end(), {"--test-data", suite + "/" + e.test});
    }
    if (std::string(e.task) == "mbpp") a.push_back("--allow-code-execution");
    if (stage(std::string("expert-") + e.name, a, true))
      trained_specs.push_back(&e);
    else
      all_ok = false;
  }
  all_ok = paired_test_stages(suite, svd, trained_specs) && all_ok;
  for (const ExpertSpec* e : trained_specs) figures.push_back(expert_figures(*e));
  summary_["experts"] = figures;
  std::string text = tables(figures);

  std::vector<std::string> trained;
  for (const json& f : figures) trained.push_back(f["expert"]);
  all_ok = unseen_stages(suite, svd, trained) && all_ok;
  const json unseen = demo::unseen_figures(o_.out, {"math", "humaneval", "arc"});
  summary_["unseen"] = unseen;
  text += "\n" + demo::unseen_tables(unseen);
  text += demo::add_figures(o_.out, summary_);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  summary_["wall_seconds"] = wall;
  text += format("\nwall time %.1f s, %d rank(s); details in %s/demo.json\n", wall, o_.ranks, o_.out.c_str());
  io::write_file_atomic(o_.out + "/tables.txt", text);
  save();
  std::printf("%s", text.c_str());
  return all_ok ? 0 : 1;
}

}  // namespace

int run_demo(int argc, char** argv) {
  DemoOptions o;
  po::options_description desc(
      "t2 demo: the whole Transformer² pipeline on the embedded mini model. Generates the mini "
      "suite, decomposes the model, REINFORCE-trains the math (GSM8K-like), code (MBPP-like), "
      "reasoning (ARC-Easy-like) and classification experts, compares each with the base model on "
      "the same test samples, then on the unseen MATH-, HumanEval- and ARC-Challenge-like tasks compares the "
      "base model, prompt-based and classifier-based two-pass dispatch, and a few-shot CEM search "
      "over expert mixtures. Every comparison with the base is paired (same samples, standard error of "
      "the per-sample difference; beyond noise: delta > 2 SE). Writes DIR/demo.json, DIR/tables.txt, "
      "DIR/logs/, the experts, the reports and the mixtures");
  desc.add_options()
      ("out", po::value(&o.out)->default_value(o.out), "output folder DIR")
      ("model", po::value(&o.model)->default_value(o.model), "checkpoint folder (the mini model)")
      ("quick", po::bool_switch(&o.quick), "reduced demo (small suite, 2 iterations of batch 4): "
       "checks that every stage runs, not that experts help")
      ("iters", po::value(&o.iters)->default_value(0), "REINFORCE iterations per expert (0: 16, quick 2)")
      ("batch", po::value(&o.batch)->default_value(0), "prompts per iteration (0: 16, quick 4)")
      ("test-interval", po::value(&o.test_interval)->default_value(0), "evaluate every N iterations (0: iters/2, quick: iters)")
      ("max-new-tokens", po::value(&o.max_new)->default_value(0), "generation limit (0: 96, quick 32)")
      ("ranks", po::value(&o.ranks)->default_value(1), "run training and evaluation stages under "
       "`mpirun -np N` (start t2 demo itself without mpirun)")
      ("lr", po::value(&o.lr)->default_value(o.lr), "Adam learning rate of the experts (the protocol's "
       "2e-3 moves p by at most ~2e-3 per iteration, too little for a few-iteration demo)")
      ("shots", po::value(&o.shots)->default_value(0), "CEM few-shot samples per unseen task (0: 10, quick 3)")
      ("cem-pop", po::value(&o.cem_pop)->default_value(0), "CEM candidates per generation (0: 12, quick 10; "
       "the protocol's 32 is for full runs)")
      ("cem-generations", po::value(&o.cem_generations)->default_value(0), "CEM generations (0: 4, quick 1; "
       "the protocol's 50 is for full runs)")
      ("seed", po::value(&o.seed)->default_value(o.seed), "suite and training seed");
  const auto parsed = parse_options("t2 demo [--out DIR] [--quick] [--ranks N]", desc, argc, argv);
  if (parsed.help) return 0;
  T2_CHECK(std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr && std::getenv("PMI_RANK") == nullptr,
           "t2 demo runs its stages under MPI itself: start it without mpirun and pass --ranks N");
  T2_CHECK(o.ranks >= 1, "--ranks must be at least 1, found %d", o.ranks);
  T2_CHECK(o.ranks == 1 || geteuid() != 0 || (std::getenv("OMPI_ALLOW_RUN_AS_ROOT") &&
                                              std::getenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM")),
           "--ranks %d runs mpirun, which Open MPI refuses as root: run as another user, or set "
           "OMPI_ALLOW_RUN_AS_ROOT=1 and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", o.ranks);
  T2_CHECK(fs::exists(o.model + "/config.json"), "%s/config.json not found: run t2 demo from the "
           "repository root or give --model", o.model.c_str());
  if (o.iters == 0) o.iters = o.quick ? 2 : 16;
  if (o.batch == 0) o.batch = o.quick ? 4 : 16;
  if (o.test_interval == 0) o.test_interval = o.quick ? o.iters : std::max(1, o.iters / 2);
  if (o.max_new == 0) o.max_new = o.quick ? 32 : 96;
  if (o.shots == 0) o.shots = o.quick ? 3 : 10;
  if (o.cem_pop == 0) o.cem_pop = o.quick ? 10 : 12;
  if (o.cem_generations == 0) o.cem_generations = o.quick ? 1 : 4;
  T2_CHECK(o.shots >= 1 && o.cem_generations >= 1, "--shots and --cem-generations must be at least 1");
  Demo demo(o);
  return demo.run();
}

}  // namespace t2::cli
