#!/usr/bin/env bash
# `t2 search` end to end on a tiny random checkpoint, an SVD store of its MLP matrices, three random
# experts and the mini suite's ARC-Challenge file: invalid settings are refused in one message
# before any model is loaded; a search writes its mixture, state and HDF5 report; the result is the
# same for one process and `mpirun -np 5`; a search with a known optimum through the model finds it; a search killed (SIGKILL) mid-run and resumed ends
# identical to an uninterrupted one (history compared without timings); two-pass dispatch in
# t2 eval (unit: labels/experts/table; mpi: one process = mpirun -np 5 --tp 2).
# usage: search_cli_test.sh T2 MAKE_MODEL [mpi]   (from the repository root)
set -euo pipefail
T2=$(realpath "$1")
MAKE_MODEL=$(realpath "$2")
MODE=${3:-unit}
W=$(mktemp -d /tmp/t2_search_test.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$MAKE_MODEL" "$W/model"
"$T2" mini-suite --out "$W/suite" --gsm8k-train 0 --gsm8k-test 0 --math-test 0 --mbpp 0 \
  --humaneval 0 --arc-easy-train 0 --arc-easy-test 0 --arc-challenge-test 12 2>/dev/null
"$T2" decompose --model "$W/model" --out "$W/svd.h5" --matrices mlp --quiet >/dev/null
for k in 1 2 3; do
  "$T2" expert init --svd "$W/svd.h5" --out "$W/e$k.h5" --random-seed $k --std 1.0 >/dev/null
done
DATA="$W/suite/arc/ARC-Challenge-Test.jsonl"
ARGS=(--model "$W/model" --svd "$W/svd.h5" --experts "a=$W/e1.h5,b=$W/e2.h5,c=$W/e3.h5"
      --task arc --data "$DATA" --shots 4 --pop 8 --elite-ratio 0.25 --max-new-tokens 6 --batch 3
      --eval-batch 5)
# History without timings: what runs must agree on.
history() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
for g in j["history"]: g.pop("seconds")
print(json.dumps(j["state"], sort_keys=True)); print(json.dumps(j["history"], sort_keys=True))' "$1"; }

help=$("$T2" search --help) && grep -q "usage: t2 search" <<<"$help" || fail "search --help"

# Every problem at once, before any model is loaded.
rc=0
"$T2" search --model "$W/model" --svd "$W/svd.h5" --experts "a=$W/e1.h5,b=$W/missing.h5" \
  --task arc --data "$DATA" --shots 40 --pop 8 --elite-ratio 0.2 --min 1 --max 0 \
  --subset-seed 5 --out "$W/x.h5" 2>"$W/err" || rc=$?
[ $rc -eq 1 ] || fail "bad settings: exit $rc"
for needle in "missing.h5: no such file" "--shots 40 leaves no sample for the clean evaluation" \
    "gives 1 elite(s); at least 2" "bounds min 1 > max 0" \
    "--subset-seed must be -1 (off) or >= 0 together with --limit N"; do
  grep -qF -- "$needle" "$W/err" || fail "bad settings did not say '$needle': $(cat "$W/err")"
done
# --limit with --subset-seed: the search sees only that subset (6 records, so 6 shots leave none).
rc=0
"$T2" search --model "$W/model" --svd "$W/svd.h5" --experts "a=$W/e1.h5" --task arc --data "$DATA" \
  --limit 6 --subset-seed 3 --shots 6 --out "$W/x.h5" 2>"$W/err" || rc=$?
[ $rc -eq 1 ] && grep -qF -- "--shots 6 leaves no sample for the clean evaluation: $DATA has 6 samples" "$W/err" \
  || fail "subset of 6: exit $rc, $(cat "$W/err")"

if [ "$MODE" = unit ]; then
  "$T2" search "${ARGS[@]}" --generations 3 --out "$W/np1.h5" --report "$W/np1_report.h5" \
    >"$W/np1.out" 2>"$W/np1.err" || { cat "$W/np1.err"; fail "one-process search failed"; }
  grep -q "accuracy .* on 8 non-shot samples (clean), .* on all 12" "$W/np1.out" \
    || fail "final line: $(cat "$W/np1.out")"
  "$T2" mixture show "$W/np1.h5" | grep -q "^a " || fail "mixture file"
  # Per-layer weights by default: 3 experts x 6 adapted matrices per candidate.
  h5ls -r "$W/np1_report.h5" | grep -q "history/alpha .*{24, 18}" || fail "report history: $(h5ls -r "$W/np1_report.h5")"
  [ "$(history "$W/np1.h5.search.json" | tail -1 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 3 ] \
    || fail "3 generations of history expected"
  # Known optimum through the real model: a flat expert (uniform z: W' = W exactly) and two random
  # ones; gold answers are what the base model answers, so fitness 1 is reached only near
  # α = (a, 0, 0) with a > 0. The search must find it and score 1 on the held-out sample too.
  "$T2" mini-suite --out "$W/sg" --gsm8k-train 0 --gsm8k-test 80 --math-test 0 --mbpp 0 \
    --humaneval 0 --arc-easy-train 0 --arc-easy-test 0 --arc-challenge-test 0 2>/dev/null
  "$T2" eval --model "$W/model" --task gsm8k --data "$W/sg/gsm8k/test.jsonl" --max-new-tokens 24 \
    --batch 20 --out "$W/g.h5" >/dev/null 2>&1 || fail "base eval for the known-optimum data"
  "$T2" report --samples "$W/g.h5" >"$W/g.tsv"
  python3 - "$W/g.tsv" "$W/sg/gsm8k/test.jsonl" >"$W/known.jsonl" <<'PY'
import json, sys
src = [json.loads(l) for l in open(sys.argv[2])]
for row in open(sys.argv[1]).read().splitlines()[1:]:
    f = row.split("\t")
    pred = json.loads(f[10])
    if pred:
        rec = dict(src[int(f[2])]); rec["answer"] = "base answer\n#### " + pred
        print(json.dumps(rec))
PY
  [ "$(wc -l <"$W/known.jsonl")" -ge 3 ] || fail "fewer than 3 base answers with a number"
  "$T2" expert init --svd "$W/svd.h5" --out "$W/flat.h5" --value 0 >/dev/null
  "$T2" search --model "$W/model" --svd "$W/svd.h5" --experts "flat=$W/flat.h5,b=$W/e2.h5,c=$W/e3.h5" \
    --task gsm8k --data "$W/known.jsonl" --seed 1 --shots 2 --pop 16 --elite-ratio 0.25 --alpha global \
    --generations 4 --max-new-tokens 24 --batch 8 --out "$W/k.h5" >"$W/k.out" 2>"$W/k.err" \
    || { cat "$W/k.err"; fail "known-optimum search"; }
  python3 - "$W/k.h5.search.json" <<'PY' || fail "known optimum not found: $(cat "$W/k.out")"
import json, sys
s = json.load(open(sys.argv[1]))["state"]
a, b, c = s["best"]
assert s["best_fitness"] == 1.0 and a > 0.1 and b < 0.05 and c < 0.05, s
PY
  grep -q "accuracy 1.0000 on .* non-shot samples (clean)" "$W/k.out" || fail "held-out: $(cat "$W/k.out")"

  # Two-pass dispatch in t2 eval: labels and experts in the records, the dispatch table printed.
  EV=(--model "$W/model" --task arc --data "$DATA" --limit 4 --max-new-tokens 6 --svd "$W/svd.h5"
      --experts "math=$W/e1.h5,code=$W/e2.h5,reasoning=$W/e3.h5")
  "$T2" eval "${EV[@]}" --strategy prompt --out "$W/ev.h5" >"$W/ev.out" 2>"$W/ev.err" \
    || { cat "$W/ev.err"; fail "eval --strategy prompt"; }
  grep -q "dispatch arc: 4 samples" "$W/ev.out" || fail "dispatch table: $(cat "$W/ev.out")"
  grep -q "pass 1 .* s, pass 2 .* s, ratio pass1/pass2" "$W/ev.out" || fail "pass times"
  "$T2" report --samples "$W/ev.h5" | tail -n +2 | cut -f5,6 >"$W/labels.tsv"
  [ "$(wc -l <"$W/labels.tsv")" -eq 4 ] || fail "4 records expected"
  while IFS=$'\t' read -r label expert; do
    case "$label" in math|code|reasoning) [ "$expert" = "$label" ] || fail "label $label ran $expert";;
      other) [ "$expert" = base ] || fail "other ran $expert";;
      *) fail "label '$label'";; esac
  done <"$W/labels.tsv"
  "$T2" eval "${EV[@]}" --strategy classifier --cls-expert "$W/e1.h5" --dispatch-other reference \
    --out "$W/ev2.h5" >"$W/ev2.out" 2>"$W/ev2.err" || { cat "$W/ev2.err"; fail "eval --strategy classifier"; }
  "$T2" report --samples "$W/ev2.h5" | tail -n +2 | cut -f6 | grep -qx base && fail "reference mode ran base"
  rc=0
  "$T2" eval "${EV[@]}" --strategy classifier --out "$W/ev3.h5" 2>"$W/err" || rc=$?
  [ $rc -eq 1 ] && grep -q "needs --cls-expert" "$W/err" || fail "classifier without --cls-expert"
  echo "search_cli_test: OK"
  exit 0
fi

# mpi: 1 process vs 5 ranks, and kill -9 + resume.
MPIRUN=(mpirun --oversubscribe)
"$T2" search "${ARGS[@]}" --generations 6 --out "$W/np1.h5" >"$W/np1.out" 2>"$W/np1.err" \
  || { cat "$W/np1.err"; fail "one-process search failed"; }
"${MPIRUN[@]}" -np 5 "$T2" search "${ARGS[@]}" --generations 6 --out "$W/np5.h5" >"$W/np5.out" \
  2>"$W/np5.err" || { cat "$W/np5.err"; fail "mpirun -np 5 search failed"; }
diff <(history "$W/np1.h5.search.json") <(history "$W/np5.h5.search.json") >/dev/null \
  || fail "np 5 history differs from one process"
diff "$W/np1.out" "$W/np5.out" || fail "np 5 result differs"

"$T2" search "${ARGS[@]}" --generations 6 --out "$W/k.h5" >/dev/null 2>"$W/k.err" &
pid=$!
for _ in $(seq 1 600); do
  if [ -f "$W/k.h5.search.json" ] && python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["state"]["generation"]>=2 else 1)' "$W/k.h5.search.json" 2>/dev/null; then break; fi
  sleep 0.05
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
g=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"]["generation"])' "$W/k.h5.search.json")
[ "$g" -lt 6 ] || fail "the search ended before it could be killed"
"$T2" search "${ARGS[@]}" --generations 6 --out "$W/k.h5" --resume >"$W/k.out" 2>"$W/k2.err" \
  || { cat "$W/k2.err"; fail "resume failed"; }
diff <(history "$W/np1.h5.search.json") <(history "$W/k.h5.search.json") >/dev/null \
  || fail "killed at generation $g and resumed: history differs"
diff "$W/np1.out" "$W/k.out" || fail "resumed result differs"
# Two-pass dispatch (classifier, reference "other") under tensor parallelism: same records.
EV=(--model "$W/model" --task arc --data "$DATA" --limit 6 --max-new-tokens 8 --svd "$W/svd.h5" --batch 3
    --experts "math=$W/e1.h5,code=$W/e2.h5,reasoning=$W/e3.h5" --strategy classifier
    --cls-expert "$W/e1.h5" --dispatch-other reference)
"$T2" eval "${EV[@]}" --out "$W/d1.h5" >/dev/null 2>"$W/d1.err" || { cat "$W/d1.err"; fail "dispatch np 1"; }
"${MPIRUN[@]}" -np 5 "$T2" eval "${EV[@]}" --tp 2 --out "$W/d5.h5" >/dev/null 2>"$W/d5.err" \
  || { cat "$W/d5.err"; fail "dispatch np 5 --tp 2"; }
recs() { "$T2" report --samples "$1" | tail -n +2 | cut -f2-8,11,12 | sort; }
diff <(recs "$W/d1.h5") <(recs "$W/d5.h5") || fail "dispatch records differ under --tp 2"
echo "search_cli_test mpi: OK (np 1 = np 5; killed at generation $g, resumed identical)"
