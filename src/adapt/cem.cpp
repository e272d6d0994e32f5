// CEM state and update; see cem.h.
#include "adapt/cem.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/rng.h"

namespace t2::adapt {

int cem_n_elites(const CemConfig& c) {
  return static_cast<int>(std::floor(c.elite_ratio * c.pop + 1e-9));
}

std::vector<std::string> cem_problems(const CemConfig& c) {
  std::vector<std::string> p;
  if (c.dim < 1) p.push_back(t2::format("CEM needs at least one coordinate, got %d", c.dim));
  if (c.pop < 2) p.push_back(t2::format("--pop must be >= 2, got %d", c.pop));
  if (!(c.elite_ratio > 0.0 && c.elite_ratio <= 1.0))
    p.push_back(t2::format("--elite-ratio must be in (0, 1], got %g", c.elite_ratio));
  else if (cem_n_elites(c) < 2)
    p.push_back(t2::format("--elite-ratio %g with --pop %d gives %d elite(s); at least 2 are needed "
                           "for an unbiased std", c.elite_ratio, c.pop, cem_n_elites(c)));
  if (!std::isfinite(c.min) || !std::isfinite(c.max))
    p.push_back(t2::format("bounds must be finite, got [%g, %g]", c.min, c.max));
  else if (c.min > c.max)
    p.push_back(t2::format("bounds min %g > max %g", c.min, c.max));
  if (c.generations < 1) p.push_back(t2::format("--generations must be >= 1, got %d", c.generations));
  if (c.init_mean < 0.0 && c.n_experts < 1)
    p.push_back("CEM initial mean 1/K needs K >= 1 experts");
  return p;
}

CemState cem_initial_state(const CemConfig& c) {
  const auto p = cem_problems(c);
  if (!p.empty()) T2_FAIL("invalid CEM settings: %s", p.front().c_str());
  CemState s;
  const double m = c.init_mean >= 0.0 ? c.init_mean : 1.0 / c.n_experts;
  const double sd = c.init_std >= 0.0 ? c.init_std : (c.max - c.min) / 2.0;
  s.mean.assign(c.dim, m);
  s.std.assign(c.dim, sd);
  return s;
}

std::vector<double> cem_draws(const CemConfig& c, uint64_t seed, int generation) {
  Rng rng = Rng::stream(seed, static_cast<uint64_t>(generation), RngPurpose::cem);
  std::vector<double> d(static_cast<size_t>(c.pop) * c.dim);
  for (double& x : d) x = rng.normal();
  return d;
}

std::vector<double> cem_candidates(const CemConfig& c, const CemState& s,
                                   std::span<const double> draws) {
  const size_t dim = c.dim;
  T2_CHECK(draws.size() == static_cast<size_t>(c.pop) * dim,
           "CEM draws: expected %d x %d values, got %zu", c.pop, c.dim, draws.size());
  T2_CHECK(s.mean.size() == dim && s.std.size() == dim, "CEM state has %zu/%zu coordinates, "
           "expected %zu", s.mean.size(), s.std.size(), dim);
  std::vector<double> out(draws.size());
  for (int i = 0; i < c.pop; ++i) {
    double* row = out.data() + i * dim;
    if (i == 0 && s.has_best) {
      std::copy(s.best.begin(), s.best.end(), row);
      continue;
    }
    for (size_t d = 0; d < dim; ++d)
      row[d] = std::clamp(s.mean[d] + s.std[d] * draws[i * dim + d], c.min, c.max);
  }
  return out;
}

CemStepResult cem_update(const CemConfig& c, CemState& s, std::span<const double> candidates,
                         std::span<const double> fitness, std::span<const double> tiebreak) {
  const size_t dim = c.dim, pop = c.pop;
  T2_CHECK(candidates.size() == pop * dim && fitness.size() == pop && tiebreak.size() == pop,
           "CEM update: expected %zu candidates of %zu values with fitness and tie-break each, got "
           "%zu values, %zu fitness, %zu tie-break", pop, dim, candidates.size(), fitness.size(),
           tiebreak.size());
  for (size_t i = 0; i < pop; ++i)
    T2_CHECK(std::isfinite(fitness[i]) && std::isfinite(tiebreak[i]),
             "CEM update: candidate %zu of generation %d has fitness %g, tie-break %g (not finite)",
             i, s.generation, fitness[i], tiebreak[i]);
  CemStepResult r;
  r.ranking.resize(pop);
  std::iota(r.ranking.begin(), r.ranking.end(), 0);
  std::stable_sort(r.ranking.begin(), r.ranking.end(), [&](int a, int b) {
    if (fitness[a] != fitness[b]) return fitness[a] > fitness[b];
    return tiebreak[a] > tiebreak[b];
  });
  const int ne = cem_n_elites(c);
  r.elites.assign(r.ranking.begin(), r.ranking.begin() + ne);
  for (size_t d = 0; d < dim; ++d) {
    double sum = 0.0;
    for (int e : r.elites) sum += candidates[e * dim + d];
    const double m = sum / ne;
    double ss = 0.0;
    for (int e : r.elites) {
      const double v = candidates[e * dim + d] - m;
      ss += v * v;
    }
    s.mean[d] = m;
    s.std[d] = std::sqrt(ss / (ne - 1));
  }
  const int top = r.ranking.front();
  if (!s.has_best || fitness[top] > s.best_fitness ||
      (fitness[top] == s.best_fitness && tiebreak[top] > s.best_tiebreak)) {
    s.has_best = true;
    s.best.assign(candidates.begin() + top * dim, candidates.begin() + (top + 1) * dim);
    s.best_fitness = fitness[top];
    s.best_tiebreak = tiebreak[top];
    r.best_changed = true;
  }
  ++s.generation;
  return r;
}

nlohmann::json cem_state_to_json(const CemState& s) {
  nlohmann::json j;
  j["generation"] = s.generation;
  j["mean"] = s.mean;
  j["std"] = s.std;
  j["has_best"] = s.has_best;
  j["best"] = s.best;
  j["best_fitness"] = s.best_fitness;
  j["best_tiebreak"] = s.best_tiebreak;
  return j;
}

CemState cem_state_from_json(const nlohmann::json& j, const CemConfig& c, const std::string& what) {
  CemState s;
  try {
    s.generation = j.at("generation").get<int>();
    s.mean = j.at("mean").get<std::vector<double>>();
    s.std = j.at("std").get<std::vector<double>>();
    s.has_best = j.at("has_best").get<bool>();
    s.best = j.at("best").get<std::vector<double>>();
    s.best_fitness = j.at("best_fitness").get<double>();
    s.best_tiebreak = j.at("best_tiebreak").get<double>();
  } catch (const nlohmann::json::exception& e) {
    T2_FAIL("%s: not a CEM state: %s", what.c_str(), e.what());
  }
  const size_t dim = c.dim;
  T2_CHECK(s.mean.size() == dim && s.std.size() == dim && (!s.has_best || s.best.size() == dim),
           "%s: CEM state has %zu coordinates, the search has %zu", what.c_str(), s.mean.size(), dim);
  T2_CHECK(s.generation >= 0 && s.generation <= c.generations,
           "%s: CEM state at generation %d, the search has %d", what.c_str(), s.generation,
           c.generations);
  return s;
}

}  // namespace t2::adapt
