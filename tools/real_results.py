#!/usr/bin/env python3
"""Summaries of the real-benchmark runs in docs/results.md, computed from t2's own reports.

Needs only the Python 3 standard library, the t2 binary and h5dump (Debian: hdf5-tools); no
virtual environment. Run from the repository root.

  tools/real_results.py score REPORT.h5 TASK DATA [--allow-code-execution] [--tsv OUT.tsv]
      Re-scores the completions stored in an eval report with `t2 score`, clean and reference,
      without regenerating. Checks that the clean re-score gives every sample the verdict the
      report holds (the same rules, so they must agree), then prints n, accuracy, the binomial
      standard error sqrt(p(1-p)/n) and the 95 % Wilson interval for both scorings. --tsv writes the
      per-sample verdicts (id, clean, reference, generated tokens).

  tools/real_results.py paired A.h5 B.h5 [--search SEARCH_REPORT.h5]
  tools/real_results.py paired A.tsv B.tsv [--scoring clean|reference]
      Pairs the samples of two eval reports by id (B may instead be a `t2 search --report`
      file given with --search, whose final/correct column is indexed like A's samples; its shots
      are left out), or two verdict files written by `score --tsv` in the chosen scoring. Prints n, both accuracies, the mean paired difference d = B - A, its standard
      error sd(d)/sqrt(n) and 2*SE, and the discordant counts (A right / B wrong and the reverse).
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile

T2 = os.environ.get("T2", "build/t2")


def report_samples(path):
    """Rows of `t2 report --samples` as dicts (text fields decoded from JSON)."""
    out = subprocess.run([T2, "report", "--samples", path], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    head = out[0].split("\t")
    rows = []
    for line in out[1:]:
        f = dict(zip(head, line.split("\t")))
        for k in ("id", "text", "prediction", "status", "expert", "label"):
            if k in f and f[k].startswith('"'):
                f[k] = json.loads(f[k])
        rows.append(f)
    return rows


def t2_score(task, data, completions, scoring, code):
    cmd = [T2, "score", "--task", task, "--data", data, "--completions", completions,
           "--scoring", scoring]
    if code:
        cmd.append("--allow-code-execution")
    lines = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()
    verdicts = {}
    for line in lines:
        rec = json.loads(line)
        if "summary" not in rec:
            verdicts[rec["id"]] = bool(rec["correct"])
    return verdicts


def wilson(k, n, z=1.959964):
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (mid - half, mid + half)


def line(name, k, n):
    p = k / n
    lo, hi = wilson(k, n)
    se = math.sqrt(p * (1 - p) / n)
    return f"{name:9s} n={n:4d}  correct={k:4d}  accuracy={p:.4f}  SE={se:.4f}  95% CI [{lo:.4f}, {hi:.4f}]"


def cmd_score(a):
    rows = report_samples(a.report)
    bad = [r for r in rows if r["status"] != "ok"]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for r in rows:
            f.write(json.dumps({"id": r["id"], "completion": r["text"]}) + "\n")
        comp = f.name
    try:
        clean = t2_score(a.task, a.data, comp, "clean", a.allow_code_execution)
        ref = t2_score(a.task, a.data, comp, "reference", a.allow_code_execution)
    finally:
        os.unlink(comp)
    differ = [r["id"] for r in rows if clean.get(r["id"]) != (r["correct"] == "1")]
    n = len(rows)
    print(f"{a.report}: {n} samples, {len(bad)} with a status other than ok")
    if differ:
        print(f"clean re-score disagrees with the report on {len(differ)} samples: {differ[:10]}")
        sys.exit(1)
    print("clean re-score agrees with the report's verdict on every sample")
    print(line("clean", sum(clean[r["id"]] for r in rows), n))
    print(line("reference", sum(ref[r["id"]] for r in rows), n))
    gen = [int(r["generated_tokens"]) for r in rows]
    print(f"generated tokens: mean {sum(gen) / n:.1f}, at the limit {sum(g == max(gen) for g in gen)}"
          f" (max {max(gen)})")
    if a.tsv:
        with open(a.tsv, "w") as f:
            f.write("id\tclean\treference\tgenerated_tokens\n")
            for r in rows:
                f.write(f"{r['id']}\t{int(clean[r['id']])}\t{int(ref[r['id']])}\t{r['generated_tokens']}\n")


def h5_ints(path, dataset):
    out = subprocess.run(["h5dump", "-y", "-w", "0", "-d", dataset, path], check=True,
                         capture_output=True, text=True).stdout
    start = out.index("DATA {") + len("DATA {")
    body = out[start:out.index("}", start)]  # the data block only, not the attributes after it
    return [int(float(x)) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", body)]


def tsv_verdicts(path, scoring):
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        col = head.index(scoring)
        return {r[0]: r[col] == "1" for r in (line.rstrip("\n").split("\t") for line in f)}


def cmd_paired(a):
    if a.a.endswith(".tsv"):
        va, vb = tsv_verdicts(a.a, a.scoring), tsv_verdicts(a.b, a.scoring)
        if set(va) != set(vb):
            sys.exit(f"{a.a} and {a.b} do not hold the same sample ids")
        pairs = [(va[i], vb[i]) for i in va]
    else:
        pairs = report_pairs(a)
    print_paired(pairs)


def report_pairs(a):
    base = report_samples(a.a)
    if a.search:
        correct = h5_ints(a.search, "/final/correct")
        shots = set(h5_ints(a.search, "/shots"))
        if len(correct) != len(base):
            sys.exit(f"{a.search} has {len(correct)} samples, {a.a} has {len(base)}: not the same items")
        pairs = [(r["correct"] == "1", correct[int(r["index"])] == 1) for r in base
                 if int(r["index"]) not in shots]
        print(f"left out {len(shots)} shots (indices {sorted(shots)})")
    else:
        other = {r["id"]: r for r in report_samples(a.b)}
        if set(other) != {r["id"] for r in base}:
            sys.exit(f"{a.a} and {a.b} do not hold the same sample ids")
        pairs = [(r["correct"] == "1", other[r["id"]]["correct"] == "1") for r in base]
    return pairs


def print_paired(pairs):
    n = len(pairs)
    d = [int(y) - int(x) for x, y in pairs]
    mean = sum(d) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in d) / (n - 1)) if n > 1 else float("nan")
    se = sd / math.sqrt(n)
    print(line("A", sum(x for x, _ in pairs), n))
    print(line("B", sum(y for _, y in pairs), n))
    print(f"paired    n={n}  delta(B-A)={mean:+.4f}  SE={se:.4f}  2SE={2 * se:.4f}  "
          f"A right/B wrong={sum(x and not y for x, y in pairs)}  A wrong/B right="
          f"{sum(y and not x for x, y in pairs)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("score")
    s.add_argument("report")
    s.add_argument("task")
    s.add_argument("data")
    s.add_argument("--allow-code-execution", action="store_true")
    s.add_argument("--tsv")
    p = sub.add_parser("paired")
    p.add_argument("a")
    p.add_argument("b", nargs="?")
    p.add_argument("--search")
    p.add_argument("--scoring", default="clean", choices=["clean", "reference"],
                   help="with two .tsv files: which verdict column to pair")
    a = ap.parse_args()
    if a.cmd == "paired" and (a.b is None) == (a.search is None):
        ap.error("paired needs B.h5 or --search REPORT.h5 (one of them)")
    {"score": cmd_score, "paired": cmd_paired}[a.cmd](a)


if __name__ == "__main__":
    main()
