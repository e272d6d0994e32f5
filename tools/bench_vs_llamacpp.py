#!/usr/bin/env python3
"""t2 vs llama.cpp on the same GGUF file, the same thread count, runs interleaved.

For each round: `t2 bench` (prefill of a --prompt-tokens random prompt, then --gen-tokens greedy
decode steps of one sequence from that context) and the same work in llama.cpp through
llama-cpp-python (its bundled llama.cpp build, called through llama.cpp's C API: llama_decode on
a token batch, wall time as t2 bench measures it; ctypes adds ~10 µs per call). Prints each run, the medians and the t2 / llama.cpp ratios, plus peak
RSS. On a shared machine only the ratios of interleaved runs mean much.

Not part of t2: needs a Python environment with llama-cpp-python (pip install llama-cpp-python;
0.3.36 was used, it builds llama.cpp from source with the machine's CPU features) and numpy.

    python tools/bench_vs_llamacpp.py --model datasets/models/SmolLM2-135M-Instruct.Q4_1.gguf \
        [--t2 build/t2] [--threads 2] [--rounds 5] [--gguf-dtype bf16]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def llamacpp_child(args):
    """One llama.cpp run in this (child) process, through llama.cpp's C API; prints a JSON line.
    extra_bufts: llama.cpp's default extra weight buffers (AMX / repacked layouts). In the
    llama-cpp-python 0.3.36 build used here, a multi-token llama_decode with them crashes
    (SIGSEGV) on this CPU, so that configuration fills the context one token at a time (untimed)
    and reports decode only."""
    import numpy as np
    import llama_cpp
    llama_cpp.llama_backend_init()
    mp = llama_cpp.llama_model_default_params()
    mp.use_extra_bufts = args.extra_bufts
    model = llama_cpp.llama_model_load_from_file(args.model.encode(), mp)
    cp = llama_cpp.llama_context_default_params()
    cp.n_ctx = args.prompt_tokens + args.gen_tokens + 16
    cp.n_batch = cp.n_ubatch = args.prompt_tokens
    cp.n_threads = cp.n_threads_batch = args.threads
    ctx = llama_cpp.llama_init_from_model(model, cp)
    n_vocab = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(model))
    rng = np.random.default_rng(args.seed)
    prompt = [int(t) for t in rng.integers(0, n_vocab, size=args.prompt_tokens)]

    def decode(tokens):
        arr = (llama_cpp.llama_token * len(tokens))(*tokens)
        if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(arr, len(tokens))) != 0:
            raise SystemExit("llama_decode failed")
        logits = llama_cpp.llama_get_logits_ith(ctx, -1)
        return int(np.argmax(np.ctypeslib.as_array(logits, shape=(n_vocab,))))

    chunk = 1 if args.extra_bufts else len(prompt)
    decode(prompt[:chunk])  # warm-up: touches the weights
    llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
    t0 = time.perf_counter()
    for i in range(0, len(prompt), chunk):
        tok = decode(prompt[i:i + chunk])
    prefill = None if args.extra_bufts else len(prompt) / (time.perf_counter() - t0)
    t0 = time.perf_counter()  # wall time as t2 bench measures it (ctypes overhead ~10 µs/token)
    for _ in range(args.gen_tokens):
        tok = decode([tok])
    decode_rate = args.gen_tokens / (time.perf_counter() - t0)
    print(json.dumps({"prefill_tokens_per_s": prefill, "decode_tokens_per_s": decode_rate,
                      "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def run_t2(args):
    out = subprocess.run([args.t2, "bench", "--model", args.model, "--threads", str(args.threads),
                          "--prompt-tokens", str(args.prompt_tokens), "--gen-tokens",
                          str(args.gen_tokens), "--batch", "1", "--gguf-dtype", args.gguf_dtype,
                          "--seed", str(args.seed), "--json"],
                         check=True, capture_output=True, text=True).stdout
    j = json.loads(out.strip().splitlines()[-1])
    return {"prefill_tokens_per_s": j["prefill_tokens_per_s"],
            "decode_tokens_per_s": j["decode"][0]["tokens_per_s"],
            "peak_rss_bytes": j["peak_rss_bytes"], "weight_bytes": j["weight_bytes"]}


def run_llamacpp(args, extra_bufts=False):
    cmd = [sys.executable, __file__, "--child", "--model", args.model, "--threads",
           str(args.threads), "--prompt-tokens", str(args.prompt_tokens), "--gen-tokens",
           str(args.gen_tokens), "--seed", str(args.seed)] + (["--extra-bufts"] if extra_bufts else [])
    env = dict(os.environ, OMP_WAIT_POLICY=args.llamacpp_omp_wait)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--t2", default="build/t2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=512)
    ap.add_argument("--gen-tokens", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--gguf-dtype", default="bf16")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--llamacpp-omp-wait", default="passive",
                    help="OMP_WAIT_POLICY of the llama.cpp runs (its OpenMP threads spin by "
                         "default, which collapses on a busy machine: 1.3 vs 18.6 decode tok/s "
                         "at 2 threads measured here)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--extra-bufts", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return llamacpp_child(args)
    runs = {"t2": [], "llama.cpp": [], "llama.cpp+extra": []}
    for r in range(args.rounds):
        # Rotate the order so no program always gets the same part of a round.
        order = [("t2", run_t2), ("llama.cpp", run_llamacpp),
                 ("llama.cpp+extra", lambda a: run_llamacpp(a, extra_bufts=True))]
        for name, fn in order[r % 3:] + order[:r % 3]:
            res = fn(args)
            runs[name].append(res)
            pre = res["prefill_tokens_per_s"]
            print(f"round {r} {name:15s} prefill {pre or 0:8.1f} tok/s  "
                  f"decode {res['decode_tokens_per_s']:7.1f} tok/s  "
                  f"peak RSS {res['peak_rss_bytes'] / 1e6:6.0f} MB", flush=True)

    def med(name, key):
        vals = [x[key] for x in runs[name] if x[key] is not None]
        return statistics.median(vals) if vals else None

    def ratio(key, other):
        return statistics.median(a[key] / b[key] for a, b in zip(runs["t2"], runs[other]))
    keys = ("prefill_tokens_per_s", "decode_tokens_per_s", "peak_rss_bytes")
    print(json.dumps({"medians": {n: {k: med(n, k) for k in keys} for n in runs},
                      "ratio_t2_over_llamacpp_median_of_rounds": {
                          "prefill": ratio("prefill_tokens_per_s", "llama.cpp"),
                          "decode": ratio("decode_tokens_per_s", "llama.cpp"),
                          "decode_vs_extra_bufts": ratio("decode_tokens_per_s",
                                                         "llama.cpp+extra")},
                      "t2_weight_bytes": runs["t2"][0]["weight_bytes"],
                      "gguf_dtype": args.gguf_dtype, "threads": args.threads,
                      "llamacpp_omp_wait": args.llamacpp_omp_wait,
                      "prompt_tokens": args.prompt_tokens, "gen_tokens": args.gen_tokens},
                     indent=1))


if __name__ == "__main__":
    main()
