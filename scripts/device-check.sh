#!/usr/bin/env bash
# Device check of the CUDA backend on a GPU machine, in one run: lists missing build dependencies,
# builds the CUDA variant (Release, only the t2 binary and the cuda tests; with NCCL when nccl.h is
# found in the CUDA Toolkit or the nvidia-nccl Python wheel), runs `ctest -L cuda`, `t2 bench --device cuda`
# at the Llama-3.2-1B shape and at the Llama-3-8B shape (random bf16 weights from `t2 init`; the 8B
# shape keeps T2_DC_8B_LAYERS of its 32 layers, default 8, so that init stays short — per-layer
# work is identical, and the summary states the layer count and the parameters actually run),
# `t2 eval` of the mini model on cpu and on cuda (greedy agreement of the generated texts), the
# device's copy bandwidth, SVF-adapted against base generation on the device at the 1B shape
# (tests/bench/svf_door_bench: one expert, three experts; random factors of the MLP matrices) and,
# with two GPUs or more, the two-rank tensor-parallel forward over NCCL (in the cuda tests). Writes a JSON summary to $1, else $OUT/device-check.json, else ./device-check.json. Budget: under 8
# minutes on one H100 with 16 cores: every step has its own timeout, cut to what is left of
# T2_DC_BUDGET_S (default 450 s) so the whole run ends inside it; a step with no time left is
# skipped, and a failed or skipped step is recorded in the summary, never fatal (the summary is
# written even when nothing builds). Needs the packages of scripts/setup.sh (the build's
# dependencies) already installed; nothing is downloaded (a missing one shows in the configure
# step's log tail). Environment: T2_DC_BUILD (build dir, default build-device), T2_DC_JOBS
# (default nproc), T2_DC_8B_LAYERS (default 8), T2_DC_BUDGET_S (default 450), T2_DC_SKIP (names of
# steps to leave out, space-separated: deps configure build ctest init_1b init_8b bench_1b bench_8b
# svf_1b mini_suite eval_cpu eval_cuda).
set -uo pipefail
cd "$(dirname "$0")/.."
out_json=${1:-${OUT:-.}/device-check.json}
build=${T2_DC_BUILD:-build-device}
jobs=${T2_DC_JOBS:-$(nproc)}
layers_8b=${T2_DC_8B_LAYERS:-8}
budget=${T2_DC_BUDGET_S:-450}
skip=" ${T2_DC_SKIP:-} "
work=$(mktemp -d)
log_dir=$(dirname "$out_json")
mkdir -p "$log_dir"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
start=$(date +%s)
deadline=$(( start + budget - 15 ))  # 15 s kept for the summary
declare -A step_status step_rc step_s
step_order=()
run_step() {  # run_step NAME TIMEOUT_S command...: logs to $work/NAME.log, records status, rc, seconds
  local name=$1 limit=$2
  shift 2
  step_order+=("$name")
  local t0 left
  t0=$(date +%s)
  left=$(( deadline - t0 ))
  if [[ $skip == *" $name "* ]]; then
    step_status[$name]=skipped; step_rc[$name]=-1; step_s[$name]=0
    echo "== $name: skipped (T2_DC_SKIP)" >&2
    return 1
  fi
  if (( left < 10 )); then
    step_status[$name]="skipped: no time left of T2_DC_BUDGET_S=$budget"; step_rc[$name]=-1; step_s[$name]=0
    echo "== $name: ${step_status[$name]}" >&2
    return 1
  fi
  (( limit > left )) && limit=$left
  echo "== $name ($(date +%T), at most ${limit} s)" >&2
  if declare -F "$1" >/dev/null; then  # a function of this script (quick, no timeout)
    "$@" >"$work/$name.log" 2>&1
  else
    timeout "$limit" "$@" >"$work/$name.log" 2>&1
  fi
  step_rc[$name]=$?
  step_s[$name]=$(( $(date +%s) - t0 ))
  case ${step_rc[$name]} in
    0) step_status[$name]=ok ;;
    124) step_status[$name]="timeout after ${limit} s" ;;
    *) step_status[$name]=failed ;;
  esac
  tail -n 5 "$work/$name.log" >&2
  return "${step_rc[$name]}"
}

# 1. Build (ccache when present).
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
gpu_arch=90
if command -v nvidia-smi >/dev/null; then
  cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '. ')
  [ -n "$cc" ] && gpu_arch=$cc
fi
# The build's dependencies (scripts/setup.sh), all listed at once: configure stops at the first.
check_deps() {
  local missing=() h
  for h in boost/program_options.hpp hdf5.h nlohmann/json.hpp gtest/gtest.h png.h jpeglib.h \
           zlib.h lapacke.h cblas.h; do
    [ -n "$(find /usr/include /usr/local/include -name "$(basename "$h")" -path "*$h" -print -quit 2>/dev/null)" ] ||
      missing+=("$h")
  done
  command -v mpicxx >/dev/null || missing+=("mpicxx (Open MPI)")
  command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || missing+=("nvcc")
  echo "nccl: ${nccl_args[*]:-not found (T2_WITH_NCCL=OFF)}"
  if [ ${#missing[@]} -gt 0 ]; then
    echo "missing: ${missing[*]} (install the packages of scripts/setup.sh)"
    return 1
  fi
  echo "all build dependencies found"
}
# NCCL from the CUDA Toolkit, else from the Python wheel nvidia-nccl-cu13 when one is installed.
nccl_args=()
if [ -e /usr/local/cuda/include/nccl.h ]; then
  nccl_args=(-DT2_WITH_NCCL=ON)
elif nccl_dir=$(python3 -c 'import nvidia.nccl, os; print(list(nvidia.nccl.__path__)[0])' 2>/dev/null) &&
     [ -e "$nccl_dir/include/nccl.h" ]; then
  nccl_lib=$(find "$nccl_dir/lib" -name 'libnccl.so*' -print -quit)
  [ -n "$nccl_lib" ] && nccl_args=(-DT2_WITH_NCCL=ON -DNCCL_INCLUDE_DIR="$nccl_dir/include"
                                   -DNCCL_LIBRARY="$nccl_lib")
fi
[ ${#nccl_args[@]} -gt 0 ] || nccl_args=(-DT2_WITH_NCCL=OFF)
run_step deps 30 check_deps
run_step configure 120 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DT2_WITH_CUDA=ON \
  "${nccl_args[@]}" -DT2_BUILD_BENCH=OFF -DCMAKE_CUDA_ARCHITECTURES="$gpu_arch" "${launcher[@]}"
cuda_targets=(cuda_kernels_test cuda_svf_test cuda_overrides_test cuda_forward_test svf_door_bench)
[ "${nccl_args[0]}" = -DT2_WITH_NCCL=ON ] && cuda_targets+=(cuda_tp_test)
run_step build 300 cmake --build "$build" -j "$jobs" --target t2 "${cuda_targets[@]}"
t2="$build/t2"

# 2. The cuda tests (kernels, SVF products and the adapter's overrides on the device, the whole
# forward and greedy generations vs the CPU, and the two-rank tensor-parallel forward when the
# machine has two GPUs; with one it reports skipped).
run_step ctest 180 ctest --test-dir "$build" -L cuda --output-on-failure

# 3. Random-weight checkpoints at the Llama-3.2-1B and Llama-3-8B shapes.
write_config() {  # write_config FILE HIDDEN FF LAYERS HEADS KV_HEADS TIED
  cat >"$1" <<JSON
{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256,
 "hidden_size": $2, "intermediate_size": $3, "num_hidden_layers": $4,
 "num_attention_heads": $5, "num_key_value_heads": $6, "max_position_embeddings": 8192,
 "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "tie_word_embeddings": $7,
 "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
 "bos_token_id": 128000, "eos_token_id": 128001, "torch_dtype": "bfloat16"}
JSON
}
write_config "$work/1b.json" 2048 8192 16 32 8 true
write_config "$work/8b.json" 4096 14336 "$layers_8b" 32 8 false
run_step init_1b 120 "$t2" init --config-json "$work/1b.json" --out "$work/m1b" --dtype bf16
run_step init_8b 180 "$t2" init --config-json "$work/8b.json" --out "$work/m8b" --dtype bf16

# 4. Throughput on the device (bench also measures the copy bandwidth).
run_step bench_1b 90 "$t2" bench --device cuda --model "$work/m1b" --prompt-tokens 2048 \
  --gen-tokens 64 --batch 1 --repeats 3 --json
run_step bench_8b 120 "$t2" bench --device cuda --model "$work/m8b" --prompt-tokens 2048 \
  --gen-tokens 32 --batch 1,64 --repeats 2 --json

# 4b. SVF on the device at the 1B shape: adapted vs base generation (16 sequences, 32 + 32 tokens),
# one expert and three experts, auto / dense / factored; compositions are made on the host.
run_step svf_1b 150 "$build/tests/bench/svf_door_bench" --model "$work/m1b" --device cuda \
  --batch 16 --prompt 32 --gen 32 --repeats 1 --skip-cem

# 5. The mini model's eval on cpu and on cuda: greedy texts compared sample by sample.
run_step mini_suite 60 "$t2" mini-suite --out "$work/suite"
eval_args=(--model datasets/mini/model --task gsm8k --data "$work/suite/gsm8k/test.jsonl"
           --task arc --data "$work/suite/arc/ARC-Challenge-Test.jsonl" --limit 40 --batch 20)
run_step eval_cpu 120 "$t2" eval "${eval_args[@]}" --device cpu --out "$work/cpu.h5"
run_step eval_cuda 120 "$t2" eval "${eval_args[@]}" --device cuda --out "$work/cuda.h5"

# 6. The two-rank tensor-parallel forward runs inside the ctest step (cuda_tp_test, under mpirun);
# the summary records whether it ran, passed or was skipped (fewer than two GPUs, or no NCCL).

# 7. Summary: the step table first (status, exit code, seconds), then what python3 reads from the
# logs. Without python3 the step table alone is written.
steps_json="{"
for k in "${step_order[@]}"; do
  steps_json+="\"$k\": {\"status\": \"${step_status[$k]}\", \"rc\": ${step_rc[$k]}, \"seconds\": ${step_s[$k]}},"
done
steps_json="${steps_json%,}}"
total=$(( $(date +%s) - start ))
printf '{"seconds_total": %d, "steps": %s}\n' "$total" "$steps_json" >"$out_json"
T2_DC_STEPS="$steps_json" python3 - "$work" "$out_json" "$layers_8b" "$total" "$t2" <<'PY' || echo "device-check: python3 failed; $out_json holds the step table only" >&2
import json, os, re, subprocess, sys
work, out, layers_8b, total, t2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def log(name):
    p = os.path.join(work, name + ".log")
    return open(p, errors="replace").read() if os.path.exists(p) else ""
def last_json(name):
    for line in reversed(log(name).splitlines()):
        if line.startswith("{"):
            try: return json.loads(line)
            except ValueError: pass
    return None
s = {"seconds_total": total, "steps": json.loads(os.environ["T2_DC_STEPS"])}
for name, st in s["steps"].items():
    if os.path.exists(os.path.join(work, name + ".log")):
        st["log_tail"] = log(name)[-1500:]
try:
    s["gpu"] = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version",
                               "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
except OSError:
    s["gpu"] = "nvidia-smi not found"
tp = re.search(r"cuda_tp_test \.*\s*(\*\*\*Skipped|Passed|\*\*\*Failed|\*\*\*Timeout)", log("ctest"))
s["tp2"] = tp.group(1).strip("*").lower() if tp else "not run (no NCCL in this build, or ctest did not run)"
# SVF on the device: the bench's table ("case  median s  vs base").
svf = {}
for line in log("svf_1b").splitlines():
    mm = re.match(r"^(base|one expert, \w+|three experts, \w+)\s+([\d.]+)\s+([\d.]+)$", line.strip())
    if mm: svf[mm.group(1)] = {"seconds": float(mm.group(2)), "vs_base": float(mm.group(3))}
if svf: s["svf_1b"] = svf
m = re.search(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)", log("ctest"))
if m: s["ctest"] = {"failed": int(m.group(2)), "total": int(m.group(3)),
                    "skipped": len(re.findall(r"\*\*\*Skipped", log("ctest")))}
# Parameters actually run per token (matrices + head) for the roofline and the peak fraction.
def params(h, ff, layers, kv_dim, vocab=128256):
    return layers * (2 * h * h + 2 * h * kv_dim + 3 * h * ff) + vocab * h
shapes = {"1b": (2048, 8192, 16, 512), "8b": (4096, 14336, layers_8b, 1024)}
peak_tflops = float(os.environ.get("T2_DC_PEAK_TFLOPS", "989"))  # H100 SXM dense BF16
for name, (h, ff, L, kvd) in shapes.items():
    b = last_json("bench_" + name)
    if not b: continue
    p = params(h, ff, L, kvd)
    e = {"bench": b, "layers": L, "params_run": p}
    bw = b.get("device_copy_gb_per_s")
    if bw:
        e["copy_gb_per_s"] = bw
        d1 = next((d for d in b["decode"] if d["batch"] == 1), None)
        if d1:  # decode of one sequence vs the bound of reading every bf16 weight once per token
            bound = bw * 1e9 / b["weight_bytes"]
            e["decode_b1_fraction_of_bandwidth_bound"] = d1["tokens_per_s"] / bound
    e["prefill_tflops"] = 2 * p * b["prefill_tokens_per_s"] / 1e12
    e["prefill_fraction_of_peak"] = e["prefill_tflops"] / peak_tflops
    s["bench_" + name] = e
# Greedy agreement: the generated text of every sample, cpu vs cuda, read with `t2 report --samples`
# (tab-separated, keyed by task and index).
def sample_texts(report):
    r = subprocess.run([t2, "report", report, "--samples"], capture_output=True, text=True)
    if r.returncode != 0: raise RuntimeError(f"t2 report {report}: {r.stderr.strip()[-300:]}")
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    col = {name: k for k, name in enumerate(rows[0])}
    return {(x[col["task"]], x[col["index"]]): x[col["text"]] for x in rows[1:]}
try:
    a, b = (sample_texts(os.path.join(work, f)) for f in ("cpu.h5", "cuda.h5"))
    same = sum(a[k] == b.get(k) for k in a)
    s["eval_greedy_agreement"] = {"identical": same, "samples": len(a), "fraction": same / max(len(a), 1)}
except Exception as ex:  # a report missing (its eval step failed): say so
    s["eval_greedy_agreement"] = {"error": str(ex)}
json.dump(s, open(out, "w"), indent=1)
print(json.dumps({k: v for k, v in s.items() if k != "steps"}, indent=1))
PY
echo "device-check: summary in $out_json ($(( $(date +%s) - start )) s)" >&2
rm -rf "$work"
