#!/usr/bin/env bash
# Results do not depend on the world size: the per-sample records (prediction, correct, status,
# prompt/generated tokens, text) of one process, `mpirun -np 3` (2 single-rank groups) and
# `mpirun -np 5 --tp 2` (2 tensor-parallel groups) are identical, with greedy decoding.
# Tensor parallelism sums partial products in another order (logits agree to 1e-4 relative, see
# tests/adapt/tp_logits_test.cpp); on this checkpoint that never flips a greedy choice, so the
# comparison is exact. Every sample appears exactly once. The same holds with an SVF expert
# (`--svd --expert`, composed shard-locally under --tp): one process vs `mpirun -np 5 --tp 2`, and
# the expert's records differ from the base model's.
# usage: world_size_test.sh T2 MAKE_MODEL   (from the repository root)
WITH_SVF=1
source "$(dirname "$0")/common.sh"
MPIRUN=(mpirun --oversubscribe)

"$T2" eval "${EVAL_ARGS[@]}" --batch 3 --out "$W/np1.h5" 2> "$W/np1.err" \
  || { cat "$W/np1.err"; fail "one-process run failed"; }
"${MPIRUN[@]}" -np 3 "$T2" eval "${EVAL_ARGS[@]}" --batch 3 --out "$W/np3.h5" 2> "$W/np3.err" \
  || { cat "$W/np3.err"; fail "mpirun -np 3 failed"; }
"${MPIRUN[@]}" -np 5 "$T2" eval "${EVAL_ARGS[@]}" --batch 3 --tp 2 --out "$W/np5.h5" 2> "$W/np5.err" \
  || { cat "$W/np5.err"; fail "mpirun -np 5 --tp 2 failed"; }

samples "$W/np1.h5" > "$W/np1.tsv"
[ "$(wc -l < "$W/np1.tsv")" -eq 24 ] || fail "expected 24 records"
[ "$(cut -f1,2 "$W/np1.tsv" | sort -u | wc -l)" -eq 24 ] || fail "a sample appears twice"
for r in np3 np5; do
  samples "$W/$r.h5" > "$W/$r.tsv"
  diff "$W/np1.tsv" "$W/$r.tsv" > "$W/$r.diff" || { head -20 "$W/$r.diff"; fail "$r differs from one process"; }
done
# The expert, one process vs 2 tensor-parallel groups.
EXPERT=(--svd "$W/model/svd.h5" --expert "$W/model/wild.h5")
"$T2" eval "${EVAL_ARGS[@]}" "${EXPERT[@]}" --batch 3 --out "$W/e1.h5" 2> "$W/e1.err" \
  || { cat "$W/e1.err"; fail "one-process expert run failed"; }
"${MPIRUN[@]}" -np 5 "$T2" eval "${EVAL_ARGS[@]}" "${EXPERT[@]}" --batch 3 --tp 2 --out "$W/e5.h5" 2> "$W/e5.err" \
  || { cat "$W/e5.err"; fail "mpirun -np 5 --tp 2 expert run failed"; }
samples "$W/e1.h5" > "$W/e1.tsv"
diff "$W/e1.tsv" <(samples "$W/e5.h5") > "$W/e.diff" || { head -20 "$W/e.diff"; fail "expert run under --tp 2 differs"; }
awk -F'\t' '$5 != "wild" {exit 1}' "$W/e1.tsv" || fail "expert column is not 'wild'"
[ "$(diff <(cut -f11 "$W/np1.tsv") <(cut -f11 "$W/e1.tsv") | grep -c '^>')" -ge 12 ] \
  || fail "the expert left most generations unchanged"
h5dump -a /world_size "$W/np5.h5" 2>/dev/null | grep -q "5" || h5dump -A "$W/np5.h5" | grep -qi "world" \
  || fail "world size not recorded"
grep -q "coordinator + 2 group(s) of 2" "$W/np5.err" || fail "np5 did not form 2 groups of 2: $(cat "$W/np5.err")"
echo "world_size_test: OK (24 samples identical for np 1, np 3, np 5 --tp 2; expert np 1 = np 5 --tp 2)"
