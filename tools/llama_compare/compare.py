#!/usr/bin/env python3
"""Side-by-side throughput of t2 and llama.cpp on the same random Llama-3.2-1B-shape bf16 weights.

Not part of t2: a reproducible comparison for docs/engine.md. It
  1. downloads llama.cpp's source as vendored by the llama-cpp-python sdist (`pip download`),
     builds the llama library once per llama.cpp ISA variant it needs (native: whatever the
     machine has; avx2: AVX2/FMA/F16C only) plus tools/llama_compare/llama_harness.cpp;
  2. makes the weights with `t2 init` (llama32_1b_config.json, bf16, seed 1), adds the Llama-3
     tokenizer (../shared/fixtures/tokenizers/llama3 or --tokenizer) and converts them to GGUF with
     llama.cpp's convert_hf_to_gguf.py (--outtype bf16: the same bits);
  3. runs, for each pair (t2 kernel level, llama.cpp variant), rounds of interleaved runs
     (t2, llama.cpp, t2, ...): prefill of --prompt tokens (last logits), all-logit scoring of
     --prompt tokens, decode of 1 and --batch sequences (--decode-prompt + --gen tokens each;
     llama.cpp with and without flash attention);
  4. prints per pair the medians and the ratios t2 / llama.cpp, with the CPU model and the load
     average, and writes every run to --work/results.json.
Medians of interleaved runs are what to quote on a shared machine: both programs see the same load.

Environment (tested with): Python 3.11 with numpy 2.4, torch 2.15 (CPU), transformers 5.25
(`pip install numpy torch transformers`) for the conversion; cmake >= 3.25 and g++; network access
for `pip download llama-cpp-python==0.3.36` (or pass --llama-src DIR of an unpacked llama.cpp).

Example (from the repository root, after building build/t2):
  tools/llama_compare/compare.py --t2 build/t2 --pairs amx:native,avx512bf16:native,avx2:avx2 \
      --repeats 3 --threads 2
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
LLAMA_CPP_PYTHON = "llama-cpp-python==0.3.36"
# llama.cpp CMake options per variant (GGML_* flags of its CPU backend).
VARIANTS = {
    "native": ["-DGGML_NATIVE=ON"],
    "avx2": ["-DGGML_NATIVE=OFF", "-DGGML_AVX=ON", "-DGGML_AVX2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=ON",
             "-DGGML_BMI2=ON", "-DGGML_AVX512=OFF", "-DGGML_AVX512_BF16=OFF", "-DGGML_AVX_VNNI=OFF",
             "-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"],
}


def log(msg):
    print(f"[compare] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    log(" ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def llama_source(work, given):
    if given:
        return Path(given).resolve()
    src = work / "src"
    vendored = next(src.glob("llama_cpp_python-*/vendor/llama.cpp"), None) if src.exists() else None
    if vendored:
        return vendored
    src.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", src,
         LLAMA_CPP_PYTHON])
    with tarfile.open(next(src.glob("llama_cpp_python-*.tar.gz"))) as t:
        t.extractall(src)
    return next(src.glob("llama_cpp_python-*/vendor/llama.cpp"))


def build_llama(work, src, variant, jobs):
    """Builds libllama (static) for the variant and links the harness; returns the harness path."""
    build = work / f"build-{variant}"
    harness = build / "llama_harness"
    if harness.exists() and harness.stat().st_mtime > (HERE / "llama_harness.cpp").stat().st_mtime:
        return harness
    launcher = ["-DCMAKE_C_COMPILER_LAUNCHER=ccache", "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"] \
        if shutil.which("ccache") else []
    run(["cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=OFF",
         "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF", "-DLLAMA_BUILD_TESTS=OFF",
         "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_SERVER=OFF", *VARIANTS[variant], *launcher],
        stdout=subprocess.DEVNULL)
    run(["cmake", "--build", build, "-j", str(jobs), "--target", "llama"])
    libs = [p for name in ("libllama.a", "libggml.a", "libggml-cpu.a", "libggml-base.a")
            for p in build.rglob(name)]
    run(["g++", "-O2", "-std=c++17", HERE / "llama_harness.cpp", "-I", src / "include", "-I",
         src / "ggml" / "include", "-o", harness, "-Wl,--start-group", *libs, "-Wl,--end-group",
         "-fopenmp", "-lpthread", "-ldl"])
    return harness


def make_model(work, t2, tokenizer, src):
    model, gguf = work / "model", work / "model-bf16.gguf"
    if not (model / "model.safetensors").exists():
        run([t2, "init", "--config", HERE / "llama32_1b_config.json", "--out", model, "--dtype", "bf16",
             "--seed", "1"])
    for f in ("tokenizer.json", "tokenizer_config.json"):
        if not (model / f).exists():
            shutil.copy(Path(tokenizer) / f, model / f)
    if not gguf.exists():
        run([sys.executable, src / "convert_hf_to_gguf.py", model, "--outtype", "bf16", "--outfile", gguf])
    return model, gguf


def t2_bench(t2, model, level, threads, args):
    out = subprocess.run([str(t2), "bench", "--model", str(model), "--cpu-kernels", level, "--threads",
                          str(threads), "--json", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def harness(path, gguf, mode, tokens, threads, fa, batch=1, gen=0):
    """(tokens/s by the wall clock, tokens per CPU-second) of one llama.cpp run."""
    cmd = [str(path), str(gguf), mode, str(tokens), "--threads", str(threads), "--fa", str(fa),
           "--batch", str(batch), "--gen", str(gen)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return r["tokens_per_s"], r["tokens_per_s"] * r["seconds"] / r["cpu_seconds"]


def one_round(t2, model, gguf, level, hpath, a):
    """One interleaved round: each selected measure once for t2, then once for llama.cpp. Values are
    (tokens/s by the wall clock, tokens per CPU-second)."""
    r = {}
    want = set(a.measures.split(","))
    if want & {"prefill", "score"}:
        args = ["--prompt-tokens", str(a.prompt), "--gen-tokens", "1", "--batch", "1"]
        if "score" in want:
            args += ["--score-tokens", str(a.prompt)]
        b = t2_bench(t2, model, level, a.threads, args)
        r["t2 cpu_kernels"] = b.get("cpu_kernels")
        r["t2 read GB/s"] = b.get("read_bandwidth_gbs")
        if "prefill" in want:
            r["t2 prefill"] = (b["prefill_tokens_per_s"], a.prompt / b["prefill_cpu_seconds"])
            r["llama prefill"] = harness(hpath, gguf, "prefill", a.prompt, a.threads, 1)
        if "score" in want:
            r["t2 score"] = (b["score_tokens_per_s"], (a.prompt - 1) / b["score_cpu_seconds"])
            r["llama score"] = harness(hpath, gguf, "score", a.prompt, a.threads, 1)
    batches = [bs for key, bs in (("decode1", 1), ("decodeB", a.batch)) if key in want]
    if batches:
        b = t2_bench(t2, model, level, a.threads, ["--prompt-tokens", str(a.decode_prompt), "--gen-tokens",
                                                   str(a.gen), "--batch", ",".join(map(str, batches))])
        r["t2 cpu_kernels"] = b.get("cpu_kernels")
        r.setdefault("t2 read GB/s", b.get("read_bandwidth_gbs"))
        for d in b["decode"]:
            r[f"t2 decode {d['batch']}"] = (d["tokens_per_s"], d["batch"] * a.gen / d["cpu_seconds"])
        for fa in (0, 1):
            for bs in batches:
                r[f"llama decode {bs} fa{fa}"] = harness(hpath, gguf, "decode", a.decode_prompt,
                                                         a.threads, fa, bs, a.gen)
    r["loadavg"] = os.getloadavg()[0]
    return r


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def print_tables(results, a):
    """Per pair: medians over the rounds and ratios t2 / llama.cpp, by the wall clock and per CPU-second."""
    print(f"CPU: {cpu_model()}, {a.threads} threads; medians of interleaved rounds; "
          f"load average {min(r['loadavg'] for rs in results.values() for r in rs):.1f}-"
          f"{max(r['loadavg'] for rs in results.values() for r in rs):.1f}")
    measures = [("prefill", f"prefill {a.prompt}", "t2 prefill", ["llama prefill"]),
                ("score", f"scoring {a.prompt}, all logits", "t2 score", ["llama score"]),
                ("decode1", f"decode 1 sequence ({a.decode_prompt}+{a.gen})", "t2 decode 1",
                 ["llama decode 1 fa0", "llama decode 1 fa1"]),
                ("decodeB", f"decode {a.batch} sequences ({a.decode_prompt}+{a.gen})", f"t2 decode {a.batch}",
                 [f"llama decode {a.batch} fa0", f"llama decode {a.batch} fa1"])]
    for key, rs in results.items():
        if not rs:
            continue
        lvl, v = key.split(":")
        for col, what in ((0, "tokens/s by the wall clock"), (1, "tokens per CPU-second")):
            print(f"\nt2 kernels {lvl} vs llama.cpp {v} build, {len(rs)} rounds, {what} (llama.cpp "
                  f"without / with flash attention); t2's read probe "
                  f"{statistics.median(r['t2 read GB/s'] for r in rs):.1f} GB/s")
            print("| measure | llama.cpp | t2 | t2 / llama.cpp |")
            print("|---|---|---|---|")
            for _, name, t2k, lks in measures:
                if t2k not in rs[0]:
                    continue
                t = statistics.median(r[t2k][col] for r in rs)
                ls = [statistics.median(r[k][col] for r in rs) for k in lks]
                lt = " / ".join(f"{x:.1f}" for x in ls)
                ratio = " / ".join(f"{t / x:.2f}" for x in ls)
                print(f"| {name} | {lt} | {t:.1f} | {ratio} |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--t2", default=str(REPO / "build" / "t2"))
    p.add_argument("--work", default="/tmp/t2-llama-compare", help="cache: sources, builds, model")
    p.add_argument("--llama-src", help="an unpacked llama.cpp source tree (skips pip download)")
    p.add_argument("--tokenizer", default=str(REPO.parent / "shared" / "fixtures" / "tokenizers" / "llama3"))
    p.add_argument("--pairs", default="amx:native,avx512bf16:native,avx2:avx2",
                   help="t2 kernel level:llama.cpp variant (native or avx2), comma-separated")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--jobs", type=int, default=2, help="build jobs")
    p.add_argument("--prompt", type=int, default=512, help="prefill and scoring tokens")
    p.add_argument("--decode-prompt", type=int, default=128)
    p.add_argument("--gen", type=int, default=128)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--measures", default="prefill,score,decode1,decodeB",
                   help="which measures to run, comma-separated: prefill, score, decode1 (one "
                        "sequence), decodeB (--batch sequences)")
    p.add_argument("--prepare-only", action="store_true", help="build and convert, run nothing")
    p.add_argument("--report", help="print the tables of a saved results.json and stop")
    a = p.parse_args()
    unknown = set(a.measures.split(",")) - {"prefill", "score", "decode1", "decodeB"}
    if unknown:
        p.error(f"--measures: unknown {', '.join(sorted(unknown))}; expected prefill, score, decode1, decodeB")
    if a.report:
        print_tables(json.loads(Path(a.report).read_text()), a)
        return 0
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    src = llama_source(work, a.llama_src)
    pairs = [tuple(x.split(":")) for x in a.pairs.split(",")]
    harnesses = {v: build_llama(work, src, v, a.jobs) for v in sorted({v for _, v in pairs})}
    model, gguf = make_model(work, Path(a.t2).resolve(), a.tokenizer, src)
    if a.prepare_only:
        return 0
    results = {f"{lvl}:{v}": [] for lvl, v in pairs}
    for rep in range(a.repeats):
        for lvl, v in pairs:
            log(f"round {rep + 1}/{a.repeats}: t2 {lvl} vs llama.cpp {v}")
            results[f"{lvl}:{v}"].append(one_round(a.t2, model, gguf, lvl, harnesses[v], a))
            (work / "results.json").write_text(json.dumps(results, indent=1))
    print_tables(results, a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
