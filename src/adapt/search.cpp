// Settings, validation and the coordinator/worker loop of `t2 search`; see search.h.
#include "adapt/search.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "adapt/candidate_scorer.h"
#include "adapt/cem.h"
#include "adapt/search_report.h"
#include "base/error.h"
#include "base/log.h"
#include "base/progress.h"
#include "base/timer.h"
#include "dist/work/layout.h"
#include "dist/work/queue.h"
#include "dist/work/stop_signals.h"
#include "io/file.h"
#include "model/llama/model.h"
#include "model/llava/checkpoint.h"  // load_model, describe_model_kind
#include "model/llava/config.h"      // is_llava_checkpoint
#include "svf/bank.h"
#include "svf/svd_store.h"
#include "tasks/splits.h"
#include "tasks/vqa.h"  // is_image_task

namespace t2::adapt {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::pair<std::string, std::string>> parse_expert_list(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  std::stringstream in(text);
  std::string entry;
  while (std::getline(in, entry, ',')) {
    const size_t eq = entry.find('=');
    T2_CHECK(eq != std::string::npos && eq > 0 && eq + 1 < entry.size(),
             "--experts entry '%s': expected LABEL=FILE", entry.c_str());
    const std::string label = entry.substr(0, eq);
    T2_CHECK(seen.insert(label).second, "--experts: label '%s' given twice", label.c_str());
    out.emplace_back(label, entry.substr(eq + 1));
  }
  T2_CHECK(!out.empty(), "--experts: expected LABEL=FILE[,LABEL=FILE...], got '%s'", text.c_str());
  return out;
}

namespace {

CemConfig cem_config(const SearchConfig& c, int dim) {
  CemConfig k;
  k.dim = dim;
  k.n_experts = static_cast<int>(c.experts.size());
  k.pop = c.pop;
  k.elite_ratio = c.elite_ratio;
  k.min = c.min;
  k.max = c.max;
  k.generations = c.generations;
  return k;
}

uint64_t seed_of(const SearchConfig& c) {
  return c.seed >= 0 ? static_cast<uint64_t>(c.seed) : tasks::few_shot_seed(c.task);
}

// A unit: the items and the candidates' α. Result: per candidate, per item correct and log-prob.
std::string encode_unit(const std::vector<int64_t>& items, const std::vector<std::vector<double>>& a) {
  return json{{"items", items}, {"alphas", a}}.dump();
}

}  // namespace

std::vector<std::string> search_problems(const SearchConfig& c) {
  std::vector<std::string> p;
  if (c.model_dir.empty()) p.push_back("--model DIR is required");
  else if (!fs::is_directory(c.model_dir) && !fs::is_regular_file(c.model_dir))
    p.push_back("--model " + c.model_dir + ": no such folder or .gguf file");
  if (c.svd.empty()) p.push_back("--svd FILE is required");
  else if (!fs::is_regular_file(c.svd)) p.push_back("--svd " + c.svd + ": no such file");
  if (c.experts.empty()) p.push_back("--experts LABEL=FILE,... is required");
  bool experts_ok = !c.experts.empty();
  for (const auto& [label, path] : c.experts) {
    if (!fs::is_regular_file(path)) {
      p.push_back("--experts " + label + "=" + path + ": no such file");
      experts_ok = false;
    }
  }
  int dim = static_cast<int>(c.experts.size());
  if (experts_ok) {
    try {
      dim = svf::ExpertBank::load_unchecked(c.experts).dim(c.per_layer);
    } catch (const t2::Error& e) {
      p.push_back(std::string("--experts: ") + e.what());
    }
  }
  const auto known = tasks::task_names();
  if (std::find(known.begin(), known.end(), c.task) == known.end())
    p.push_back("--task " + c.task + ": unknown task");
  if (tasks::is_image_task(c.task) && fs::is_directory(c.model_dir) &&
      !model::llava::is_llava_checkpoint(c.model_dir))
    p.push_back("--task " + c.task + " asks questions about images, but --model " + c.model_dir +
                " is " + model::llava::describe_model_kind(c.model_dir) + "; give a LLaVA-NeXT "
                "checkpoint (config.json model_type llava_next)");
  if (!c.images.empty() && !tasks::is_image_task(c.task))
    p.push_back("--images is for the image tasks (textvqa, okvqa); task " + c.task +
                " has no images");
  if (c.data.empty()) p.push_back("--data FILE is required");
  else if (!fs::is_regular_file(c.data)) p.push_back("--data " + c.data + ": no such file");
  else if (std::find(known.begin(), known.end(), c.task) != known.end()) {
    try {
      const TaskData d = load_task_data(c.task, c.data, c.limit, c.images, c.subset_seed);
      if (c.shots >= static_cast<int64_t>(d.items.size()))
        p.push_back(t2::format("--shots %d leaves no sample for the clean evaluation: %s has %zu "
                               "samples", c.shots, c.data.c_str(), d.items.size()));
    } catch (const t2::Error& e) {
      p.push_back("--data " + c.data + ": " + e.what());
    }
  }
  if (c.limit < 0) p.push_back(t2::format("--limit must be >= 0 (0 = all), got %lld", static_cast<long long>(c.limit)));
  if (c.subset_seed < -1 || (c.subset_seed >= 0 && c.limit == 0))
    p.push_back("--subset-seed must be -1 (off) or >= 0 together with --limit N");
  if (c.shots < 1) p.push_back(t2::format("--shots must be >= 1, got %d", c.shots));
  if (c.seed < 0) {
    try {
      tasks::few_shot_seed(c.task);
    } catch (const t2::Error&) {
      p.push_back("--task " + c.task + " has no few-shot seed (arc, humaneval, math): pass --seed");
    }
  }
  for (const auto& s : cem_problems(cem_config(c, std::max(dim, 1)))) p.push_back(s);
  if (c.batch < 1) p.push_back(t2::format("--batch must be >= 1, got %d", c.batch));
  if (c.eval_batch < 1) p.push_back(t2::format("--eval-batch must be >= 1, got %d", c.eval_batch));
  try {
    svf::parse_apply_mode(c.svf_apply);
  } catch (const t2::Error& e) {
    p.push_back(e.what());
  }
  for (auto& s : tasks::validate_task_options(c.task_options)) p.push_back(std::move(s));
  if (c.max_new_tokens < 0) p.push_back("--max-new-tokens must be >= 0 (0 = the task's own)");
  if ((c.task == "mbpp" || c.task == "humaneval") && !c.task_options.allow_code_execution)
    p.push_back("task " + c.task + " runs generated code: pass --allow-code-execution");
  if (c.out.empty()) p.push_back("--out MIXTURE.h5 is required");
  else if (c.resume && !fs::is_regular_file(search_state_path(c)))
    p.push_back("--resume: no search state " + search_state_path(c));
  else if (c.resume) {
    try {
      const json j = json::parse(io::read_file(search_state_path(c)));
      if (j.at("config").get<std::string>() != search_config_text(c))
        p.push_back("--resume: " + search_state_path(c) + " belongs to a different configuration");
      const CemState s = cem_state_from_json(j.at("state"), cem_config(c, dim), search_state_path(c));
      for (const auto* v : {&s.mean, &s.std, &s.best})
        for (double x : *v)
          if (!std::isfinite(x)) {
            p.push_back("--resume: " + search_state_path(c) + " holds a non-finite α, mean or std");
            break;
          }
    } catch (const std::exception& e) {
      p.push_back(std::string("--resume: ") + e.what());
    }
  }
  return p;
}

void check_search(const SearchConfig& c) {
  const auto p = search_problems(c);
  if (!p.empty()) throw t2::Error(problem_list("invalid search settings", p));
}

std::string search_state_path(const SearchConfig& c) { return c.out + ".search.json"; }

std::string search_config_text(const SearchConfig& c) {
  std::string s = "model=" + c.model_dir + "\ntokenizer=" + c.tokenizer + "\nchat_template=" +
                  c.chat_template + "\nsvd=" + c.svd + "\ntask=" + c.task + "\ndata=" + c.data + "\n";
  if (!c.images.empty()) s += "images=" + c.images + "\n";
  if (c.limit > 0) s += t2::format("limit=%lld\nsubset_seed=%lld\n", static_cast<long long>(c.limit),
                                   static_cast<long long>(c.subset_seed));
  for (const auto& [l, f] : c.experts) s += "expert=" + l + "=" + f + "\n";
  s += t2::format("shots=%d\nseed=%lld\npop=%d\nelite_ratio=%.17g\ngenerations=%d\nmin=%.17g\n"
                  "max=%.17g\nper_layer=%d\nnormalize=%d\nbatch=%d\neval_batch=%d\nmax_tokens=%lld\n"
                  "scoring=%s\ntiebreak=%d\nprompt_file=%s\n",
                  c.shots, static_cast<long long>(c.seed), c.pop, c.elite_ratio, c.generations,
                  c.min, c.max, c.per_layer ? 1 : 0, c.normalize ? 1 : 0, c.batch, c.eval_batch,
                  static_cast<long long>(c.max_new_tokens), c.task_options.scoring.c_str(),
                  c.tiebreak ? 1 : 0, c.task_options.prompt_file.c_str());
  return s;
}

int run_search(const SearchConfig& c, const dist::Communicator& world, const BuildInfo& build) {
  check_search(c);
  const dist::WorldLayout layout = dist::make_layout(world, 1);
  const bool coordinates = layout.role != dist::Role::worker;
  const bool works = layout.role != dist::Role::coordinator;
  dist::StopSignals signals;
  TaskData data;
  svf::ExpertBank bank;
  std::unique_ptr<run::SampleRunner> runner;
  std::unique_ptr<CandidateScorer> scorer;
  std::unique_ptr<tasks::sandbox::Sandbox> sandbox;
  std::string err;
  try {
    data = load_task_data(c.task, c.data, c.limit, c.images, c.subset_seed);
    tasks::apply_prompt_file(*data.task, c.task_options);
    if (works) {
      const model::llava::LoadedModel loaded = model::llava::load_model(c.model_dir);
      auto model = loaded.language;
      auto tok = tokenizer::Tokenizer::load(c.tokenizer.empty() ? c.model_dir : c.tokenizer);
      const auto store = svf::SvdStore::open(c.svd);
      bank = svf::ExpertBank::load(store, c.experts);
      bank.load_factors(store, *model);
      sandbox = tasks::make_sandbox(c.task_options);
      run::RunnerOptions ro;
      ro.max_new_tokens = c.max_new_tokens;
      ro.scoring = tasks::parse_scoring_mode(c.task_options.scoring);
      ro.chat_template = c.chat_template;
      ro.apply = svf::parse_apply_mode(c.svf_apply);
      ro.svf_cache_bytes = c.svf_cache_bytes;
      runner = std::make_unique<run::SampleRunner>(std::move(model), std::move(tok), ro,
                                                   sandbox.get(), bank.factors());
      if (loaded.has_vision()) runner->set_vision(loaded.vision);
      scorer = std::make_unique<CandidateScorer>(*runner, bank, c.per_layer, c.normalize,
                                                 c.tiebreak);
    } else {
      bank = svf::ExpertBank::load_unchecked(c.experts);
    }
  } catch (const std::exception& e) {
    err = e.what();
  }
  dist::throw_if_any_failed(world, err);

  const CemConfig cem = cem_config(c, bank.dim(c.per_layer));
  const uint64_t seed = seed_of(c);
  const tasks::FewShot split = tasks::few_shot_split(data.items.size(), c.shots, seed);
  std::vector<int64_t> shots(split.shots.begin(), split.shots.end());

  dist::WorkFn fn = [&](const dist::WorkUnit& unit, const dist::Communicator&) {
    const json u = json::parse(unit.payload);
    const auto items = u.at("items").get<std::vector<int64_t>>();
    const auto alphas = u.at("alphas").get<std::vector<std::vector<double>>>();
    const auto res = scorer->score(data, alphas, items, c.per_candidate);
    json out = json::array();
    for (const auto& row : res) {
      json r = {{"correct", json::array()}, {"logprob", json::array()}, {"status", json::array()}};
      for (const auto& p : row) {
        r["correct"].push_back(p.correct);
        r["logprob"].push_back(p.mean_logprob);
        r["status"].push_back(p.status);
      }
      out.push_back(r);
    }
    return out.dump();
  };
  dist::QueueOptions qo;
  qo.silence_timeout_s = c.silence_timeout_s;
  qo.stop_requested = [] { return dist::StopSignals::requested(); };

  std::unique_ptr<Progress> progress;  // rank 0: scored sequences (candidates × shots, then samples)
  // Runs units on the queue; rank 0 gets results by unit id. Every rank calls it together.
  auto run_units = [&](const std::vector<std::string>& payloads, std::vector<json>& results) {
    std::vector<dist::WorkUnit> units;
    for (size_t i = 0; i < payloads.size(); ++i) units.push_back({i, payloads[i]});
    results.assign(payloads.size(), json());
    std::string failure;
    dist::ResultFn on_result = [&](const dist::WorkUnit& unit, const dist::UnitResult& r) {
      if (!r.ok) failure = t2::format("unit %llu failed on rank %d: %s",
                                      static_cast<unsigned long long>(unit.id), r.worker_rank,
                                      r.error.c_str());
      else results[unit.id] = json::parse(r.payload);
      if (r.ok && progress) {
        int64_t n = 0;
        for (const auto& cand : results[unit.id]) n += static_cast<int64_t>(cand.at("correct").size());
        progress->advance(n);
      }
    };
    const auto st = dist::run_work_queue(world, layout, units, fn, on_result, qo);
    if (coordinates && !failure.empty()) {
      // The workers wait for the next command and would never hear of this: end the job.
      if (world.size() > 1) {
        T2_LOG_ERROR("search: %s", failure.c_str());
        world.abort(1);
      }
      throw t2::Error("search: " + failure);
    }
    return st;
  };

  // Rank 0 tells everybody what comes next: "gen", "final" or "stop".
  SearchState ss;
  if (coordinates) {
    ss.state = cem_initial_state(cem);
    if (c.resume) {
      const json j = json::parse(io::read_file(search_state_path(c)));
      ss = search_state_from_json(j, cem, search_state_path(c));
      T2_LOG_INFO("search: resuming at generation %d of %d", ss.state.generation, c.generations);
    }
  }
  ProgressOptions po;
  po.label = "search";
  po.unit = "sequences";
  po.enabled = coordinates;
  progress = std::make_unique<Progress>(
      po, static_cast<int64_t>(c.generations - (coordinates ? ss.state.generation : 0)) * c.pop *
              static_cast<int64_t>(shots.size()) + static_cast<int64_t>(data.items.size()));
  Timer total;
  while (true) {
    std::string cmd = coordinates ? (ss.state.generation < c.generations ? "gen" : "final") : "";
    world.broadcast(cmd, 0);
    std::vector<std::string> payloads;
    std::vector<double> cand;
    if (coordinates && cmd == "gen") {
      cand = cem_candidates(cem, ss.state, cem_draws(cem, seed, ss.state.generation));
      for (int b = 0; b < c.pop; b += c.batch) {
        std::vector<std::vector<double>> a;
        for (int i = b; i < std::min(c.pop, b + c.batch); ++i)
          a.emplace_back(cand.begin() + i * cem.dim, cand.begin() + (i + 1) * cem.dim);
        payloads.push_back(encode_unit(shots, a));
      }
    } else if (coordinates) {
      const int64_t n = static_cast<int64_t>(data.items.size());
      for (int64_t b = 0; b < n; b += c.eval_batch) {
        std::vector<int64_t> items;
        for (int64_t i = b; i < std::min(n, b + c.eval_batch); ++i) items.push_back(i);
        payloads.push_back(encode_unit(items, {ss.state.best}));
      }
    }
    Timer gen_timer;
    std::vector<json> results;
    const auto st = run_units(payloads, results);
    if (st.outcome == dist::Outcome::interrupted) {
      if (coordinates)
        T2_LOG_WARN("search: stopped on request during %s; state of generation %d kept in %s, "
                    "rerun with --resume", cmd.c_str(), ss.state.generation,
                    search_state_path(c).c_str());
      if (st.must_abort) world.abort(dist::kExitInterrupted);
      return dist::kExitInterrupted;
    }
    if (!coordinates) {
      if (cmd == "final") break;
      continue;
    }
    if (cmd == "gen") {
      GenerationRecord g = record_generation(cem, ss.state, cand, results, c.batch, shots.size());
      g.seconds = gen_timer.seconds();
      const auto step = cem_update(cem, ss.state, cand, g.fitness, g.tiebreak);
      g.elites = step.elites;
      g.best = ss.state.best;
      g.best_fitness = ss.state.best_fitness;
      g.best_tiebreak = ss.state.best_tiebreak;
      const std::string failed =
          g.n_errors > 0 ? t2::format(", %lld failed generations or scorings",
                                      static_cast<long long>(g.n_errors))
                         : "";
      progress->message(t2::format(
          "search: generation %d/%d: best of generation %.3f, best so far %.3f (tie-break %.4f), "
          "%.2f s%s", g.generation + 1, c.generations, g.fitness[step.ranking.front()],
          g.best_fitness, g.best_tiebreak, g.seconds, failed.c_str()));
      ss.history.push_back(std::move(g));
      io::write_file_atomic(search_state_path(c),
                            search_state_to_json(ss, search_config_text(c)).dump());
      continue;
    }
    // Final evaluation of the best α on every sample.
    FinalResult fin = final_result(results, data.items.size(), split.rest, shots);
    fin.seconds = gen_timer.seconds();
    save_search_mixture(c, bank, ss.state.best);
    if (!c.report.empty()) write_search_report(c, build, cem, ss, shots, fin);
    std::printf("search %s: best α [%s] few-shot fitness %.4f; accuracy %.4f on %zu non-shot "
                "samples (clean), %.4f on all %zu (reference-compatible)\n",
                c.task.c_str(), format_alpha(ss.state.best).c_str(), ss.state.best_fitness,
                fin.accuracy_clean, split.rest.size(), fin.accuracy_all, data.items.size());
    break;
  }
  progress->finish();
  if (coordinates) T2_LOG_INFO("search: done in %.1f s", total.seconds());
  return 0;
}

}  // namespace t2::adapt
