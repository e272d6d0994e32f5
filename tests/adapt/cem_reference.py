#!/usr/bin/env python3
"""Independent NumPy implementation of the CEM generation step (PROTOCOL.md §5), written as the
fixture tests/adapt/fixtures/cem_reference.json that cem_test.cpp replays through the C++ update.

The fixture holds, per generation, the standard-normal draws, the candidates, the fitness and
tie-break values (a synthetic quantised objective, so ties happen), and the expected elites, new
mean, new std and best-so-far. Run: python3 tests/adapt/cem_reference.py (needs numpy)."""
import json
import os

import numpy as np


def run(dim, k, pop, ratio, lo, hi, gens, seed, target):
    rng = np.random.default_rng(seed)
    n_elite = int(np.floor(ratio * pop + 1e-9))
    mean = np.full(dim, 1.0 / k)
    std = np.full(dim, (hi - lo) / 2.0)
    best, best_f, best_t = None, None, None
    out = []
    for g in range(gens):
        draws = rng.standard_normal((pop, dim))
        cand = np.clip(mean + std * draws, lo, hi)
        if best is not None:
            cand[0] = best
        dist = np.abs(cand - target).sum(axis=1)
        fitness = np.floor((1.0 - dist / dim) * 5.0) / 5.0  # coarse: many ties
        tiebreak = -np.round(dist, 2)                       # ties remain among equals
        # rank: fitness desc, tiebreak desc, index asc (lexsort is stable, last key primary)
        order = np.lexsort((np.arange(pop), -tiebreak, -fitness))
        elites = order[:n_elite]
        mean = cand[elites].mean(axis=0)
        std = cand[elites].std(axis=0, ddof=1)
        top = order[0]
        changed = False
        if best is None or fitness[top] > best_f or (fitness[top] == best_f and tiebreak[top] > best_t):
            best, best_f, best_t = cand[top].copy(), float(fitness[top]), float(tiebreak[top])
            changed = True
        out.append({
            "draws": draws.ravel().tolist(), "candidates": cand.ravel().tolist(),
            "fitness": fitness.tolist(), "tiebreak": tiebreak.tolist(),
            "elites": elites.tolist(), "mean": mean.tolist(), "std": std.tolist(),
            "best": best.tolist(), "best_fitness": best_f, "best_tiebreak": best_t,
            "best_changed": changed,
        })
    return {"dim": dim, "n_experts": k, "pop": pop, "elite_ratio": ratio, "min": lo, "max": hi,
            "generations": gens, "target": list(target), "steps": out}


def main():
    cases = [
        run(3, 3, 32, 0.2, 0.0, 1.0, 12, 7, [0.9, 0.1, 0.4]),
        run(6, 2, 10, 0.3, 0.0, 1.0, 8, 11, [0.2, 0.8, 0.5, 0.5, 1.0, 0.0]),
        run(2, 2, 16, 0.125, -1.0, 2.0, 6, 3, [1.5, -0.5]),
    ]
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "fixtures", "cem_reference.json")
    with open(path, "w") as f:
        json.dump({"generator": "tests/adapt/cem_reference.py", "cases": cases}, f)
    print("wrote", path)


if __name__ == "__main__":
    main()
