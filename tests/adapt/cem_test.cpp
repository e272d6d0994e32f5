// The CEM update against an independent NumPy implementation (tests/adapt/cem_reference.py, fixture
// fixtures/cem_reference.json): the same draws and fitness values must give the same candidates,
// elites, means, stds and best-so-far. Also: settings validation, convergence on an objective with a
// known optimum, and exact state round-trips through JSON (what resume relies on).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "adapt/cem.h"
#include "base/error.h"
#include "io/file.h"

namespace t2::adapt {
namespace {

TEST(Cem, MatchesNumpyReference) {
  const auto fx = nlohmann::json::parse(io::read_file("tests/adapt/fixtures/cem_reference.json"));
  int n_steps = 0;
  for (const auto& cs : fx.at("cases")) {
    CemConfig c;
    c.dim = cs["dim"];
    c.n_experts = cs["n_experts"];
    c.pop = cs["pop"];
    c.elite_ratio = cs["elite_ratio"];
    c.min = cs["min"];
    c.max = cs["max"];
    c.generations = cs["generations"];
    CemState s = cem_initial_state(c);
    for (const auto& st : cs["steps"]) {
      const auto draws = st["draws"].get<std::vector<double>>();
      const auto cand = cem_candidates(c, s, draws);
      const auto want = st["candidates"].get<std::vector<double>>();
      ASSERT_EQ(cand.size(), want.size());
      for (size_t i = 0; i < cand.size(); ++i)
        ASSERT_NEAR(cand[i], want[i], 1e-12) << "gen " << s.generation << " value " << i;
      const auto fit = st["fitness"].get<std::vector<double>>();
      const auto tb = st["tiebreak"].get<std::vector<double>>();
      const auto r = cem_update(c, s, want, fit, tb);
      EXPECT_EQ(r.elites, st["elites"].get<std::vector<int>>()) << "gen " << s.generation;
      const auto mean = st["mean"].get<std::vector<double>>();
      const auto sd = st["std"].get<std::vector<double>>();
      const auto best = st["best"].get<std::vector<double>>();
      for (int d = 0; d < c.dim; ++d) {
        EXPECT_NEAR(s.mean[d], mean[d], 1e-12);
        EXPECT_NEAR(s.std[d], sd[d], 1e-12);
        EXPECT_NEAR(s.best[d], best[d], 1e-12);
      }
      EXPECT_EQ(s.best_fitness, st["best_fitness"].get<double>());
      EXPECT_EQ(s.best_tiebreak, st["best_tiebreak"].get<double>());
      EXPECT_EQ(r.best_changed, st["best_changed"].get<bool>());
      ++n_steps;
    }
  }
  EXPECT_EQ(n_steps, 26);
}

TEST(Cem, RejectsBadSettingsAllAtOnce) {
  CemConfig c;
  c.dim = 3;
  c.n_experts = 3;
  c.pop = 8;
  c.elite_ratio = 0.2;  // floor(1.6) = 1 elite
  c.min = 1.0;
  c.max = 0.0;
  c.generations = 0;
  const auto p = cem_problems(c);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_NE(p[0].find("gives 1 elite(s); at least 2"), std::string::npos);
  EXPECT_NE(p[1].find("bounds min 1 > max 0"), std::string::npos);
  EXPECT_NE(p[2].find("--generations must be >= 1"), std::string::npos);
  EXPECT_THROW(cem_initial_state(c), t2::Error);
  c = CemConfig{};
  c.dim = 3;
  c.n_experts = 3;
  EXPECT_TRUE(cem_problems(c).empty());
  EXPECT_EQ(cem_n_elites(c), 6);  // floor(0.2 * 32)
}

TEST(Cem, DefaultsAndMemberZeroReevaluatesBest) {
  CemConfig c;
  c.dim = 4;
  c.n_experts = 4;
  CemState s = cem_initial_state(c);
  for (int d = 0; d < 4; ++d) {
    EXPECT_EQ(s.mean[d], 0.25);
    EXPECT_EQ(s.std[d], 0.5);
  }
  auto draws = cem_draws(c, 5, 0);
  EXPECT_EQ(draws, cem_draws(c, 5, 0));
  EXPECT_NE(draws, cem_draws(c, 5, 1));
  auto cand = cem_candidates(c, s, draws);
  for (double v : cand) EXPECT_TRUE(v >= 0.0 && v <= 1.0);
  std::vector<double> fit(32), tb(32, 0.0);
  for (int i = 0; i < 32; ++i) fit[i] = cand[i * 4];  // best = largest first coordinate
  cem_update(c, s, cand, fit, tb);
  const auto next = cem_candidates(c, s, cem_draws(c, 5, 1));
  for (int d = 0; d < 4; ++d) EXPECT_EQ(next[d], s.best[d]);
  fit[3] = std::nan("");
  EXPECT_THROW(cem_update(c, s, cand, fit, tb), t2::Error);
}

TEST(Cem, ConvergesToKnownOptimum) {
  CemConfig c;
  c.dim = 3;
  c.n_experts = 3;
  const std::vector<double> target = {0.8, 0.05, 0.35};
  CemState s = cem_initial_state(c);
  for (int g = 0; g < c.generations; ++g) {
    const auto cand = cem_candidates(c, s, cem_draws(c, 42, g));
    std::vector<double> fit(c.pop), tb(c.pop);
    for (int i = 0; i < c.pop; ++i) {
      double d2 = 0;
      for (int d = 0; d < 3; ++d) d2 += std::pow(cand[i * 3 + d] - target[d], 2);
      fit[i] = -d2;
      tb[i] = 0.0;
    }
    cem_update(c, s, cand, fit, tb);
  }
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(s.best[d], target[d], 0.02) << d;
  EXPECT_GT(s.best_fitness, -1e-3);
}

TEST(Cem, StateRoundTripsExactly) {
  CemConfig c;
  c.dim = 2;
  c.n_experts = 2;
  CemState s = cem_initial_state(c);
  const auto cand = cem_candidates(c, s, cem_draws(c, 9, 0));
  std::vector<double> fit(32), tb(32);
  for (int i = 0; i < 32; ++i) fit[i] = std::sin(cand[2 * i] * 7.1) + cand[2 * i + 1] / 3.0;
  cem_update(c, s, cand, fit, tb);
  const std::string text = cem_state_to_json(s).dump();
  const CemState t = cem_state_from_json(nlohmann::json::parse(text), c, "state");
  EXPECT_EQ(t.mean, s.mean);
  EXPECT_EQ(t.std, s.std);
  EXPECT_EQ(t.best, s.best);
  EXPECT_EQ(t.best_fitness, s.best_fitness);
  EXPECT_EQ(t.generation, 1);
  CemConfig other = c;
  other.dim = 3;
  EXPECT_THROW(cem_state_from_json(nlohmann::json::parse(text), other, "state"), t2::Error);
}

}  // namespace
}  // namespace t2::adapt
