#!/usr/bin/env bash
# Under mpirun, an error that every rank has is printed once (by rank 0), not once per rank: a bad
# configuration (checked alike on every rank before MPI starts), a malformed job file, and a setup
# failure the ranks agree on after MPI started (an empty data file).
# usage: rank_errors_test.sh T2 MAKE_MODEL   (from the repository root; label mpi)
N_GSM8K=2 N_ARC=0 N_MATH=0
source "$(dirname "$0")/../eval/common.sh"
command -v mpirun > /dev/null || { echo "rank_errors_test: SKIPPED: no mpirun"; exit 77; }
set +e
# once CASE NEEDLE ARGS...: `mpirun -np 3 t2 ARGS` fails and prints NEEDLE exactly once.
once() {
  local name=$1 needle=$2; shift 2
  mpirun --oversubscribe -np 3 "$T2" "$@" > /dev/null 2> "$W/err"
  local rc=$? n
  [ $rc -ne 0 ] || fail "$name: exit status 0"
  n=$(grep -cF -- "$needle" "$W/err")
  [ "$n" -eq 1 ] || fail "$name: '$needle' printed $n times: $(cat "$W/err")"
  grep -q "^\[rank" "$W/err" && fail "$name: a rank-prefixed copy was printed: $(cat "$W/err")"
  echo "rank errors: $name OK"
}
once config "invalid configuration" eval --model "$W/nope" --task gsm8k --data "$W/suite/gsm8k/test.jsonl" --out "$W/x.h5"
printf 'no-such-option = 1\n' > "$W/bad.cfg"
once job-file "no-such-option" eval --config "$W/bad.cfg"
: > "$W/empty.jsonl"
once agreed "holds no records" eval --model "$W/model" --task gsm8k --data "$W/empty.jsonl" --out "$W/y.h5"
[ ! -e "$W/y.h5" ] || fail "a report was written for empty data"
echo "rank_errors_test: OK"
