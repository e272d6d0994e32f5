#!/usr/bin/env python3
"""Writes tests/demo/mini_fixtures.jsonl: reference data for tests/demo/mini_model_test.cpp.

Each line is one of
  {"kind": "encode", "text": ..., "ids": [...]}   the mini tokenizer's encoding by Hugging Face
                                                  tokenizers (the independent reference)
  {"kind": "prompt", "task": ..., "record": {...}, "text": ...}
                                                  a pretraining example rendered by
                                                  datasets/mini/make_tokenizer.py from a mini
                                                  suite record (careful and hasty styles, every
                                                  task of the corpus, the careful ARC-like
                                                  answer of every question kind, and the
                                                  classification prompt); the C++ task prompt
                                                  must be its prefix, and a careful ARC-like
                                                  answer must score as correct

Usage: PYTHON tests/demo/make_fixtures.py --suite DIR, with DIR from
`t2 mini-suite --out DIR --seed 7 --pretraining --prompts` and a PYTHON that has `tokenizers`
(python3 -m venv v && v/bin/pip install tokenizers; 0.23.3 here).
"""
import argparse
import importlib.util
import json
import os
import re

from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("mk", os.path.join(ROOT, "datasets/mini/make_tokenizer.py"))
mk = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mk)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", required=True)
    args = ap.parse_args()
    tok = Tokenizer.from_file(os.path.join(ROOT, "datasets/mini/model/tokenizer.json"))
    lines = []
    texts = ["Tess has 19 cards. Tess gives 17 cards to Cara.\n#### 2",
             "def reverse_list(lst):\n    return lst[::-1]\n```",
             "  leading spaces, 1234567 digits, ünïcödé, emoji \U0001F600 and tabs\t\tend",
             "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 5 plus 6?<|eot_id|>",
             "\\boxed{reasoning} the answer is (B). $4 \\times 7 + 12$"]
    for t in texts:
        lines.append({"kind": "encode", "text": t, "ids": tok.encode(t, add_special_tokens=False).ids})
    # Pretraining examples of every task the corpus holds, in both styles (careful, hasty).
    for task, rel in mk.CORPUS_FILES:
        records = mk.read_jsonl(os.path.join(args.suite, rel))[:3]
        prompts = mk.read_jsonl(os.path.join(args.suite, "prompts", rel))[:3]
        for k, (rec, prompt) in enumerate(zip(records, prompts)):
            _, text = mk.render(task, rec, prompt, hasty=(k == 2))
            lines.append({"kind": "prompt", "task": task, "record": rec, "hasty": k == 2, "text": text})
    # The careful ARC-like answer of every question kind (the work differs per kind, see arc_work).
    arc_kind = lambda stem: re.sub(r"(opposite of|does an?) \w+", r"\1 W", re.sub(r"\d+", "N", stem))
    seen = {arc_kind(l["record"]["question"]["stem"]) for l in lines
            if l.get("task") == "arc" and not l["hasty"]}
    for rel in ("arc/ARC-Easy-Train.jsonl", "arc/ARC-Challenge-Test.jsonl"):
        records = mk.read_jsonl(os.path.join(args.suite, rel))
        prompts = mk.read_jsonl(os.path.join(args.suite, "prompts", rel))
        for rec, prompt in zip(records, prompts):
            kind = arc_kind(rec["question"]["stem"])
            if kind not in seen:
                seen.add(kind)
                _, text = mk.render("arc", rec, prompt, hasty=False)
                lines.append({"kind": "prompt", "task": "arc", "record": rec, "hasty": False, "text": text})
    # A classification example: the first GSM8K-like question under the classification prompt.
    rec = mk.read_jsonl(os.path.join(args.suite, "gsm8k/train.jsonl"))[0]
    prompt = mk.read_jsonl(os.path.join(args.suite, "prompts/gsm8k/train.jsonl"))[0]
    lines.append({"kind": "prompt", "task": "cls", "record": {"question": rec["question"]},
                  "text": prompt["cls_prompt"] + "\\boxed{math}" + mk.EOT})
    out = os.path.join(ROOT, "tests/demo/mini_fixtures.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")
    print(f"wrote {len(lines)} lines to {out}")


if __name__ == "__main__":
    main()
