# Shared set-up of the tests/eval scripts (sourced): T2 and MAKE_MODEL from the arguments, a scratch
# folder W removed on exit, a tiny random checkpoint in $W/model and a small mini suite in $W/suite.
set -euo pipefail
T2=$(realpath "$1")
MAKE_MODEL=$(realpath "$2")
W=$(mktemp -d /tmp/t2_eval_test.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$MAKE_MODEL" "$W/model" ${WITH_SVF:+--svf}
"$T2" mini-suite --out "$W/suite" --gsm8k-train 0 --gsm8k-test "${N_GSM8K:-10}" \
  --math-test "${N_MATH:-6}" --mbpp 0 --humaneval 0 --arc-easy-train 0 --arc-easy-test 0 \
  --arc-challenge-test "${N_ARC:-8}" 2> /dev/null
# The evaluation every script runs (three tasks, short generations).
EVAL_ARGS=(--model "$W/model" --task gsm8k --data "$W/suite/gsm8k/test.jsonl"
           --task arc --data "$W/suite/arc/ARC-Challenge-Test.jsonl"
           --task math --data "$W/suite/math/test.jsonl" --max-new-tokens "${MAX_TOKENS:-20}")
# Per-sample records without the report name and timings, sorted: what runs must agree on.
samples() { "$T2" report --samples "$1" | tail -n +2 | cut -f2- | sort; }
# Samples committed so far to a report, also while its run is going on (0 before it is readable).
committed() {
  { HDF5_USE_FILE_LOCKING=FALSE "$T2" report --samples "$1" 2> /dev/null || true; } | tail -n +2 | wc -l
}
# Waits until report $1 has at least $2 committed samples, at most $3 seconds (default 120).
wait_committed() {
  local deadline=$(( $(date +%s) + ${3:-120} ))
  while [ "$(committed "$1")" -lt "$2" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$1 did not reach $2 committed samples (has $(committed "$1"))"
    sleep 0.2
  done
}
# Held-back runs: each work unit waits this long first (T2_TEST_UNIT_DELAY_MS, docs/eval.md), so a
# signal sent once k samples are committed always lands while most units are still to come.
HOLD_MS=${HOLD_MS:-400}
