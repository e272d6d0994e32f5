#!/usr/bin/env python3
"""Independent check of a mini checkpoint's competence (Hugging Face transformers, greedy).

Renders the demo suite's test prompts like make_tokenizer.py (the same texts as src/tasks),
generates greedily with transformers' LlamaForCausalLM and scores with simple rules: GSM8K last
number, ARC "answer is (X)", MBPP/cls by running the tests / reading \\boxed{}. It cross-checks
the figures `t2 train` reports at iteration 0; the product does not use it.

Usage: /work/venv-engine/bin/python tests/demo/probe_competence.py --model DIR --suite DIR [--n 100]
"""
import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import time

import torch
from tokenizers import Tokenizer
from transformers import LlamaForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("mk", os.path.join(ROOT, "datasets/mini/make_tokenizer.py"))
mk = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mk)


def prompt(system, user, prefill=""):
    text = mk.chat(system, user, "")
    return text[: -len("<|eot_id|>")] + prefill


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--suite", required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--max-new", type=int, default=96)
    args = ap.parse_args()
    torch.set_num_threads(2)
    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    model = LlamaForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32).eval()
    eot = tok.token_to_id("<|eot_id|>")

    def gen(text):
        ids = torch.tensor([tok.encode(text, add_special_tokens=False).ids])
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=args.max_new, do_sample=False,
                                 eos_token_id=[eot, tok.token_to_id("<|end_of_text|>")], pad_token_id=eot)
        return tok.decode(out[0, ids.shape[1]:].tolist(), skip_special_tokens=True)

    results = {}
    t0 = time.time()
    recs = mk.read_jsonl(os.path.join(args.suite, "gsm8k/test.jsonl"))[: args.n]
    ok = 0
    for r in recs:
        c = gen(prompt(mk.GSM8K_SYSTEM, r["question"]))
        nums = re.findall(r"-?\d+(?:\.\d+)?", c.replace(",", ""))
        ok += bool(nums) and nums[-1] == r["answer"].split("####")[-1].strip().replace(",", "")
    results["gsm8k"] = (ok, len(recs))
    recs = mk.read_jsonl(os.path.join(args.suite, "arc/ARC-Easy-Test.jsonl"))[: args.n]
    ok = 0
    for r in recs:
        c = gen(prompt(mk.ARC_SYSTEM, mk.arc_question(r), mk.ARC_PREFILL))
        m = re.findall(r"answer is \(?([A-Z1-9])", c, re.I)
        ok += bool(m) and m[-1] == r["answerKey"]
    results["arc"] = (ok, len(recs))
    recs = mk.read_jsonl(os.path.join(args.suite, "mbpp/mbpp.jsonl"))[-args.n:]
    ok = 0
    for r in recs:
        user = mk.MBPP_USER.replace("{question}", r["text"]).replace("{tests}", "\n".join(r["test_list"]))
        c = gen(prompt("", user, mk.CODE_PREFILL)).split("```")[0]
        prog = c + "\n" + "\n".join(r["test_list"]) + "\n"
        try:
            ok += subprocess.run([sys.executable, "-c", prog], capture_output=True, timeout=5).returncode == 0
        except subprocess.TimeoutExpired:
            pass
    results["mbpp"] = (ok, len(recs))
    ok = n = 0
    for task, file, field in [("math", "gsm8k/test.jsonl", "question"), ("code", "mbpp/mbpp.jsonl", "text")]:
        for r in mk.read_jsonl(os.path.join(args.suite, file))[: args.n // 3]:
            c = gen(prompt(mk.DISPATCH_SYSTEM, r[field]))
            ok += c.strip().startswith("\\boxed{" + task + "}")
            n += 1
    for r in mk.read_jsonl(os.path.join(args.suite, "arc/ARC-Easy-Test.jsonl"))[: args.n // 3]:
        ok += gen(prompt(mk.DISPATCH_SYSTEM, mk.arc_question(r))).strip().startswith("\\boxed{reasoning}")
        n += 1
    results["dispatch"] = (ok, n)
    print(json.dumps({k: {"correct": a, "n": b, "acc": round(a / b, 3)} for k, (a, b) in results.items()}),
          f"({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
