#!/usr/bin/env bash
# Load: 10,000 samples (mini GSM8K) on the tiny model with one new token each, `mpirun -np 4`
# (coordinator + 3 workers), units of 16: every sample is committed exactly once, and the
# coordinator's own time per unit (dispatch, receive, journal + HDF5 commit) is printed.
# usage: load_test.sh T2 MAKE_MODEL   (from the repository root; label slow)
N_GSM8K=10000 N_ARC=0 N_MATH=0
source "$(dirname "$0")/common.sh"
start=$(date +%s)
mpirun --oversubscribe -np 4 "$T2" eval --model "$W/model" --task gsm8k --data "$W/suite/gsm8k/test.jsonl" \
  --max-new-tokens 1 --batch 16 --out "$W/load.h5" > /dev/null 2> "$W/load.err" || { tail "$W/load.err"; fail "load run failed"; }
echo "load_test: $(( $(date +%s) - start )) s wall"
grep "coordinator" "$W/load.err" | tail -2
samples "$W/load.h5" > "$W/s.tsv"
[ "$(wc -l < "$W/s.tsv")" -eq 10000 ] || fail "expected 10000 records, got $(wc -l < "$W/s.tsv")"
[ "$(cut -f1,2 "$W/s.tsv" | sort -u | wc -l)" -eq 10000 ] || fail "a sample appears twice"
[ "$(cut -f2 "$W/s.tsv" | sort -n | uniq | head -1)" -eq 0 ] && [ "$(cut -f2 "$W/s.tsv" | sort -n | tail -1)" -eq 9999 ] \
  || fail "indices are not 0..9999"
echo "load_test: OK (10000 samples exactly once)"
