#!/usr/bin/env python3
"""Reference values for the SVF core, computed with NumPy (LAPACK gesdd) in float64.

Writes tests/reference/svf/fixtures/svf_reference.json, read by tests/svf/svd_test.cpp. For each
random matrix W (float32 values, rectangular both ways round and square) it records the thin SVD
(U, S, V with V = Vh.T), two experts' parameters p and scalings z = sigmoid(p) * max_mult, the
mass-preserving factor c = sum(S) / sum(S * z), the dense composition W' = U diag(S z c) V^T, a
batch x with a different z per sequence and its factored output y, and a two-expert mixture
(raw and normalised weights). Run: /work/venv-svf/bin/python tests/reference/svf/make_svf_fixtures.py
"""
import json
import pathlib

import numpy as np

SHAPES = [(12, 7), (7, 12), (9, 9), (40, 6), (6, 40)]
SEED = 20250114


def sigmoid(p):
    return 1.0 / (1.0 + np.exp(-p))


def compose(u, s, v, z):
    c = s.sum() / (s * z).sum()
    return (u * (s * z * c)) @ v.T, c


def case(rng, out_dim, in_dim, max_mult):
    w = rng.standard_normal((out_dim, in_dim)).astype(np.float32)
    # Spread the spectrum so singular vectors are well defined (no near-ties).
    w = (w * np.linspace(0.5, 2.0, in_dim, dtype=np.float32)).astype(np.float32)
    w64 = w.astype(np.float64)
    u, s, vh = np.linalg.svd(w64, full_matrices=False)
    v = vh.T
    r = s.shape[0]
    p1 = (0.1 + 0.7 * rng.standard_normal(r)).astype(np.float32)
    p2 = (-0.3 + 0.9 * rng.standard_normal(r)).astype(np.float32)
    z1 = sigmoid(p1.astype(np.float64)) * max_mult
    z2 = sigmoid(p2.astype(np.float64)) * max_mult
    w1, c1 = compose(u, s, v, z1)
    w2, c2 = compose(u, s, v, z2)
    n_rows = 6
    x = rng.standard_normal((n_rows, in_dim)).astype(np.float32)
    row_seq = np.array([0, 1, 1, 0, 1, 0], dtype=np.int32)
    y = np.stack([(w1 if q == 0 else w2) @ x[i].astype(np.float64) for i, q in enumerate(row_seq)])
    alpha = np.array([0.3, 0.9])
    z_mix = alpha[0] * z1 + alpha[1] * z2
    z_mix_norm = z_mix / alpha.sum()
    w_mix, c_mix = compose(u, s, v, z_mix)
    w_mix_norm, _ = compose(u, s, v, z_mix_norm)
    flat = lambda a: [float(t) for t in np.asarray(a).reshape(-1)]
    return {
        "n_out": out_dim, "n_in": in_dim, "max_mult": max_mult,
        "w": flat(w), "u": flat(u), "s": flat(s), "v": flat(v),
        "p1": flat(p1), "p2": flat(p2), "z1": flat(z1), "z2": flat(z2),
        "c1": float(c1), "c2": float(c2), "w1": flat(w1), "w2": flat(w2),
        "x": flat(x), "row_seq": [int(q) for q in row_seq], "y": flat(y),
        "alpha": flat(alpha), "z_mix": flat(z_mix), "z_mix_norm": flat(z_mix_norm),
        "c_mix": float(c_mix), "w_mix": flat(w_mix), "w_mix_norm": flat(w_mix_norm),
    }


def main():
    rng = np.random.default_rng(SEED)
    cases = [case(rng, o, i, 1.0 if k % 2 == 0 else 2.0) for k, (o, i) in enumerate(SHAPES)]
    out = pathlib.Path(__file__).parent / "fixtures" / "svf_reference.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {"generator": "tests/reference/svf/make_svf_fixtures.py", "numpy": np.__version__,
           "seed": SEED, "cases": cases}
    out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
