#!/usr/bin/env bash
# t2 decompose under mpirun: 3 ranks (one fresh run, one resuming a partial store) must write
# exactly the store a single process writes (h5diff finds no difference), and a store of another
# checkpoint is refused on every rank with exit status 1.
# Usage: tests/svf/mpi_decompose_test.sh MPIEXEC PATH/TO/t2   (run from the repository root)
set -euo pipefail
mpiexec=$1
t2=$2
model=tests/reference/fixtures/llama3_gqa_tied_f32
other=tests/reference/fixtures/llama2_mha_untied_f32_sharded
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
run3() { "$mpiexec" -n 3 --oversubscribe "$t2" decompose --blas-threads 1 --quiet "$@"; }

# Same BLAS thread count everywhere: OpenBLAS results depend on it at the rounding level.
"$t2" decompose --model $model --out "$tmp/one.h5" --matrices all --quiet --blas-threads 1 >/dev/null
run3 --model $model --out "$tmp/three.h5" --matrices all >"$tmp/out"
grep -q "decomposed 14 matrices" "$tmp/out" || fail "3-rank run: $(cat "$tmp/out")"
[ "$(grep -c decomposed "$tmp/out")" -eq 1 ] || fail "only rank 0 reports: $(cat "$tmp/out")"
h5diff "$tmp/one.h5" "$tmp/three.h5" || fail "3-rank store differs from the 1-rank store"

run3 --model $model --out "$tmp/resumed.h5" --matrices mlp >/dev/null
run3 --model $model --out "$tmp/resumed.h5" --matrices all >"$tmp/out"
grep -q "decomposed 8 matrices (6 already in the store)" "$tmp/out" || fail "resume: $(cat "$tmp/out")"
h5diff "$tmp/one.h5" "$tmp/resumed.h5" || fail "resumed store differs from the 1-rank store"

rc=0
run3 --model $other --out "$tmp/one.h5" >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -ne 0 ] || fail "a store of another checkpoint was accepted"
grep -q "different base models" "$tmp/err" || fail "no clear message: $(cat "$tmp/err")"
echo "svf mpi decompose: all checks passed"
