// History, state file, final result, mixture and report of a CEM search; see search_report.h.
#include "adapt/search_report.h"

#include <filesystem>

#include "adapt/search.h"
#include "base/error.h"
#include "io/h5.h"
#include "svf/mixture.h"

namespace t2::adapt {

using nlohmann::json;

json search_state_to_json(const SearchState& s, const std::string& config_text) {
  json h = json::array();
  for (const auto& g : s.history)
    h.push_back({{"generation", g.generation}, {"mean", g.mean}, {"std", g.std},
                 {"alpha", g.alpha}, {"fitness", g.fitness}, {"tiebreak", g.tiebreak},
                 {"elites", g.elites}, {"best", g.best}, {"best_fitness", g.best_fitness},
                 {"best_tiebreak", g.best_tiebreak}, {"seconds", g.seconds},
                 {"n_errors", g.n_errors}});
  return {{"format", "t2-search-state"}, {"config", config_text},
          {"state", cem_state_to_json(s.state)}, {"history", h}};
}

SearchState search_state_from_json(const json& j, const CemConfig& c, const std::string& what) {
  SearchState s;
  s.state = cem_state_from_json(j.at("state"), c, what);
  try {
    for (const auto& g : j.at("history")) {
      GenerationRecord r;
      r.generation = g.at("generation");
      r.mean = g.at("mean").get<std::vector<double>>();
      r.std = g.at("std").get<std::vector<double>>();
      r.alpha = g.at("alpha").get<std::vector<double>>();
      r.fitness = g.at("fitness").get<std::vector<double>>();
      r.tiebreak = g.at("tiebreak").get<std::vector<double>>();
      r.elites = g.at("elites").get<std::vector<int>>();
      r.best = g.at("best").get<std::vector<double>>();
      r.best_fitness = g.at("best_fitness");
      r.best_tiebreak = g.at("best_tiebreak");
      r.seconds = g.at("seconds");
      r.n_errors = g.value("n_errors", int64_t{0});
      s.history.push_back(std::move(r));
    }
  } catch (const json::exception& e) {
    T2_FAIL("%s: bad search history: %s", what.c_str(), e.what());
  }
  T2_CHECK(static_cast<int>(s.history.size()) == s.state.generation,
           "%s: %zu generations of history but the state is at generation %d", what.c_str(),
           s.history.size(), s.state.generation);
  return s;
}

GenerationRecord record_generation(const CemConfig& c, const CemState& sampled_from,
                                   const std::vector<double>& candidates,
                                   const std::vector<json>& unit_results, int batch,
                                   size_t n_shots) {
  GenerationRecord g;
  g.generation = sampled_from.generation;
  g.mean = sampled_from.mean;
  g.std = sampled_from.std;
  g.alpha = candidates;
  g.fitness.assign(c.pop, 0.0);
  g.tiebreak.assign(c.pop, 0.0);
  for (int i = 0; i < c.pop; ++i) {
    const json& r = unit_results.at(i / batch).at(i % batch);
    const auto correct = r.at("correct").get<std::vector<bool>>();
    const auto lp = r.at("logprob").get<std::vector<double>>();
    for (const auto& st : r.at("status"))
      if (st != "ok" && st.get<std::string>().rfind("degenerate mixture", 0) != 0) ++g.n_errors;
    T2_CHECK(correct.size() == n_shots, "candidate %d: %zu shot results, expected %zu", i,
             correct.size(), n_shots);
    int n_ok = 0;
    double lp_sum = 0.0;
    for (size_t s = 0; s < n_shots; ++s)
      if (correct[s]) {
        ++n_ok;
        lp_sum += lp[s];
      }
    g.fitness[i] = static_cast<double>(n_ok) / static_cast<double>(n_shots);
    g.tiebreak[i] = n_ok > 0 ? lp_sum / n_ok : 0.0;
  }
  return g;
}

FinalResult final_result(const std::vector<json>& unit_results, size_t n_items,
                         const std::vector<size_t>& rest, const std::vector<int64_t>& shots) {
  FinalResult f;
  for (const json& u : unit_results) {
    const json& r = u.at(0);
    const auto correct = r.at("correct").get<std::vector<bool>>();
    const auto status = r.at("status").get<std::vector<std::string>>();
    for (size_t i = 0; i < correct.size(); ++i)
      f.correct.push_back(status[i] == "ok" ? (correct[i] ? 1 : 0) : -1);
  }
  T2_CHECK(f.correct.size() == n_items, "final evaluation: %zu results for %zu items",
           f.correct.size(), n_items);
  int64_t all = 0, clean = 0;
  for (int32_t v : f.correct) all += v == 1;
  for (size_t i : rest) clean += f.correct[i] == 1;
  (void)shots;
  f.accuracy_all = n_items ? static_cast<double>(all) / n_items : 0.0;
  f.accuracy_clean = rest.empty() ? 0.0 : static_cast<double>(clean) / rest.size();
  return f;
}

void save_search_mixture(const SearchConfig& c, const svf::ExpertBank& bank,
                         const std::vector<double>& alpha) {
  svf::Mixture m;
  const size_t K = bank.experts().size();
  for (size_t k = 0; k < K; ++k)
    m.experts.push_back({bank.expert_files()[k].first,
                         std::filesystem::absolute(bank.expert_files()[k].second).string(),
                         bank.experts()[k].checksum()});
  m.normalise = c.normalize;
  m.base_fingerprint = bank.base_fingerprint();
  if (c.per_layer) {
    m.matrix_names = bank.matrices();
    m.alpha_matrix = alpha;
    m.alpha.assign(K, 0.0);  // matrices not listed: the mean weight of each expert
    for (size_t i = 0; i < alpha.size(); ++i) m.alpha[i % K] += alpha[i] / bank.matrices().size();
  } else {
    m.alpha = alpha;
  }
  svf::save_mixture(m, c.out);
}

void write_search_report(const SearchConfig& c, const BuildInfo& build, const CemConfig& cem,
                         const SearchState& s, const std::vector<int64_t>& shots,
                         const FinalResult& fin) {
  io::h5::create_atomic(c.report, [&](io::h5::File& f) {
    f.set_attr("format", "t2-search-report");
    f.set_attr("command", "search");
    f.set_attr("config", search_config_text(c));
    f.set_attr("version", build.version);
    f.set_attr("git_revision", build.git_revision);
    f.set_attr("task", c.task);
    std::string ex;
    for (const auto& [l, p] : c.experts) ex += (ex.empty() ? "" : ",") + l;
    f.set_attr("experts", ex);
    f.set_attr("dim", cem.dim);
    f.set_attr("pop", cem.pop);
    f.set_attr("generations", static_cast<int64_t>(s.history.size()));
    f.write("shots", std::span<const int64_t>(shots));
    const int64_t G = static_cast<int64_t>(s.history.size()), D = cem.dim, P = cem.pop;
    std::vector<double> mean, sd, alpha, fit, tb, best, bf, bt, sec;
    std::vector<int64_t> el, errors;
    for (const auto& g : s.history) {
      mean.insert(mean.end(), g.mean.begin(), g.mean.end());
      sd.insert(sd.end(), g.std.begin(), g.std.end());
      alpha.insert(alpha.end(), g.alpha.begin(), g.alpha.end());
      fit.insert(fit.end(), g.fitness.begin(), g.fitness.end());
      tb.insert(tb.end(), g.tiebreak.begin(), g.tiebreak.end());
      best.insert(best.end(), g.best.begin(), g.best.end());
      el.insert(el.end(), g.elites.begin(), g.elites.end());
      bf.push_back(g.best_fitness);
      bt.push_back(g.best_tiebreak);
      sec.push_back(g.seconds);
      errors.push_back(g.n_errors);
    }
    if (G > 0) {
      f.write("history/mean", std::span<const double>(mean), {G, D});
      f.write("history/std", std::span<const double>(sd), {G, D});
      f.write("history/alpha", std::span<const double>(alpha), {G * P, D});
      f.write("history/fitness", std::span<const double>(fit), {G, P});
      f.write("history/tiebreak", std::span<const double>(tb), {G, P});
      f.write("history/elites", std::span<const int64_t>(el), {G, cem_n_elites(cem)});
      f.write("history/best", std::span<const double>(best), {G, D});
      f.write("history/best_fitness", std::span<const double>(bf));
      f.write("history/best_tiebreak", std::span<const double>(bt));
      f.write("history/seconds", std::span<const double>(sec));
      f.write("history/n_errors", std::span<const int64_t>(errors));
    }
    f.write("final/alpha", std::span<const double>(s.state.best));
    auto d = f.write("final/correct", std::span<const int32_t>(fin.correct));
    d.set_attr("accuracy_clean", fin.accuracy_clean);
    d.set_attr("accuracy_all", fin.accuracy_all);
    d.set_attr("n_all", static_cast<int64_t>(fin.correct.size()));
    d.set_attr("n_clean", static_cast<int64_t>(fin.correct.size() - shots.size()));
    d.set_attr("seconds", fin.seconds);
  }, "search report");
}

std::string format_alpha(const std::vector<double>& a) {
  std::string s;
  for (double v : a) s += (s.empty() ? "" : ", ") + t2::format("%.4f", v);
  return s;
}

}  // namespace t2::adapt
