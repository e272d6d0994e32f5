#!/usr/bin/env python3
"""Cross-check of t2's MATH answer equivalence against Hugging Face math-verify (PyPI).

Writes tests/tasks/fixtures/math_verify_pairs.json: a list of {"pred", "gold", "math_verify"} where
math_verify is the independent checker's verdict for prediction `pred` against gold `gold`. The
pairs are (a) every MATH-500 gold answer against itself, against rewritten but equivalent forms
(a/b for \\frac{a}{b}, decimals, \\dfrac, \\left/\\right, units), and against a perturbed answer
(gold + 1); (b) a hand-written corpus of edge cases. tests/tasks/math_equiv_test.cpp compares
t2's verdicts with these and lists the known disagreements (docs/tasks.md explains them).

Usage: python3 -m venv /work/venv-tasks && /work/venv-tasks/bin/pip install math-verify
       /work/venv-tasks/bin/python tests/tasks/math_verify_crosscheck.py
"""
import json
import os
import re
import sys

from math_verify import parse, verify
from math_verify.parser import ExprExtractionConfig, LatexExtractionConfig

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "datasets", "math", "test.jsonl")
if not os.path.exists(DATA):
    DATA = "/work/shared/datasets/math/test.jsonl"
CONFIG = [LatexExtractionConfig(), ExprExtractionConfig()]


def mv(pred, gold):
    try:
        g = parse("$" + gold + "$", extraction_config=CONFIG)
        p = parse("$" + pred + "$", extraction_config=CONFIG)
        if not g or not p:
            return False
        return bool(verify(g, p))
    except Exception:  # the checker itself failed: count as not equivalent
        return False


def variants(gold):
    out = [gold]
    m = re.fullmatch(r"(-?)\\frac\{(\d+)\}\{(\d+)\}", gold)
    if m:
        sign, a, b = m.groups()
        out.append(f"{sign}{a}/{b}")
        out.append(f"{sign}\\dfrac{{{a}}}{{{b}}}")
        out.append(repr(round((-1 if sign else 1) * int(a) / int(b), 6)))
    if re.fullmatch(r"-?\d+", gold):
        out.append(gold + ".0")
        out.append("x = " + gold)
    if "(" in gold and "\\left" not in gold:
        out.append(gold.replace("(", "\\left(").replace(")", "\\right)"))
    out.append(gold + "+1")  # perturbed
    return out


EDGE = [
    ("\\frac{1}{2}", "\\frac12"), ("0.5", "\\frac{1}{2}"), ("\\dfrac{3}{4}", "\\frac{3}{4}"),
    ("1/2", "\\frac{1}{2}"), ("2\\sqrt{3}", "\\sqrt{12}"), ("\\sqrt{2}/2", "\\frac{\\sqrt{2}}{2}"),
    ("3.14159", "\\pi"), ("10\\%", "10"), ("90^\\circ", "90"), ("5\\text{ cm}", "5"),
    ("\\$18.90", "18.90"), ("1,000", "1000"), ("(1,2)", "(1, 2)"), ("(1,2)", "[1,2]"),
    ("\\left(3, \\frac{\\pi}{2}\\right)", "\\left( 3, \\frac{\\pi}{2} \\right)"),
    ("x+1", "1+x"), ("2x", "x2"), ("\\text{(C)}", "(C)"), ("\\text{Evelyn}", "\\text{Evelyn}"),
    ("13535+1", "13535"), ("0.3333", "\\frac{1}{3}"), ("0.33", "\\frac{1}{3}"), ("-5", "5"),
    ("\\infty", "\\infty"), ("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}"), ("6.0", "6"),
    ("2^{10}", "1024"), ("\\{1,2\\}", "\\{2,1\\}"), ("k=3", "3"), ("3,5", "5,3"),
]


def main():
    pairs = []
    with open(DATA, encoding="utf-8") as f:
        for line in f:
            gold = json.loads(line)["answer"]
            for v in variants(gold):
                pairs.append({"pred": v, "gold": gold, "math_verify": mv(v, gold)})
    for pred, gold in EDGE:
        pairs.append({"pred": pred, "gold": gold, "math_verify": mv(pred, gold), "edge": True})
    out = os.path.join(HERE, "fixtures", "math_verify_pairs.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"generator": "tests/tasks/math_verify_crosscheck.py", "math_verify": "0.9.0",
                   "pairs": pairs}, f, indent=0)
        f.write("\n")
    print(f"wrote {len(pairs)} pairs to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
