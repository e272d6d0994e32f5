#!/usr/bin/env bash
# Crash safety and resume end to end. Reference: an uninterrupted one-process run. Then:
#  1. `mpirun -np 3` is started and one worker rank is killed with SIGKILL once 2 samples are
#     committed: the job must end non-zero, and in bounded time;
#  2. `--resume` under `mpirun -np 3` is started and every rank gets SIGTERM (as Slurm does at
#     preemption) once 2 more are committed: the job ends with status 75 (resumable);
#  3. `--resume` as one process runs to the end.
# The final report must equal the reference record for record, every sample exactly once.
# Runs 1 and 2 hold each unit back HOLD_MS (common.sh), so the signals always land mid-run.
# usage: resume_test.sh T2 MAKE_MODEL   (from the repository root)
N_GSM8K=16 N_ARC=10 N_MATH=6 MAX_TOKENS=16
source "$(dirname "$0")/common.sh"
N=$((N_GSM8K + N_ARC + N_MATH))
ARGS=("${EVAL_ARGS[@]}" --batch 1)
J="$W/r.h5.journal"

"$T2" eval "${ARGS[@]}" --out "$W/ref.h5" 2> "$W/ref.err" || { cat "$W/ref.err"; fail "reference run failed"; }
samples "$W/ref.h5" > "$W/ref.tsv"
[ "$(wc -l < "$W/ref.tsv")" -eq "$N" ] || fail "reference has $(wc -l < "$W/ref.tsv") records, expected $N"

# World ranks of mpirun's children: "pid rank" lines.
ranks_of() {
  for p in $(pgrep -P "$1"); do
    r=$(tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
    [ -n "$r" ] && echo "$p $r"
  done
}

# 1. kill -9 of worker rank 2 mid-run.
T2_TEST_UNIT_DELAY_MS=$HOLD_MS mpirun --oversubscribe -np 3 "$T2" eval "${ARGS[@]}" --out "$W/r.h5" \
  --silence-timeout 10 > /dev/null 2> "$W/kill9.err" &
MPI=$!
wait_committed "$W/r.h5" 2
victim=$(ranks_of "$MPI" | awk '$2 == 2 {print $1}')
[ -n "$victim" ] || fail "rank 2 not found among mpirun's children"
start=$(date +%s)
kill -KILL "$victim"
set +e; wait "$MPI"; rc=$?; set -e
took=$(( $(date +%s) - start ))
[ $rc -ne 0 ] || fail "the job ended with status 0 after a worker was killed"
[ $took -le 60 ] || fail "the job took $took s to end after a worker died"
echo "kill -9 of rank 2: job ended with status $rc after ${took} s"

[ -s "$J" ] || fail "no journal after the kill"
before=$(committed "$W/r.h5")
echo "kill -9 of rank 2: $before of $N samples readable in the report"

# 2. --resume, then SIGTERM to every rank.
T2_TEST_UNIT_DELAY_MS=$HOLD_MS mpirun --oversubscribe -np 3 "$T2" eval "${ARGS[@]}" --out "$W/r.h5" \
  --resume > /dev/null 2> "$W/term.err" &
MPI=$!
wait_committed "$W/r.h5" $((before + 2))
for p in $(ranks_of "$MPI" | awk '{print $1}'); do kill -TERM "$p" 2>/dev/null || true; done
set +e; wait "$MPI"; rc=$?; set -e
[ $rc -eq 75 ] || { cat "$W/term.err"; fail "SIGTERM: job exited $rc, expected 75"; }
grep -q "rerun with --resume" "$W/term.err" || fail "no resume hint after SIGTERM"
partial=$("$T2" report --samples "$W/r.h5" | tail -n +2 | wc -l)
[ "$partial" -lt "$N" ] || fail "the interrupted run had already finished everything ($partial)"
echo "SIGTERM: job exited 75 with $partial of $N samples committed"

# 3. Final --resume as one process.
"$T2" eval "${ARGS[@]}" --out "$W/r.h5" --resume 2> "$W/final.err" || { cat "$W/final.err"; fail "final resume failed"; }
samples "$W/r.h5" > "$W/final.tsv"
[ "$(cut -f1,2 "$W/final.tsv" | sort -u | wc -l)" -eq "$N" ] || fail "not every sample exactly once"
diff "$W/ref.tsv" "$W/final.tsv" > "$W/diff" || { head "$W/diff"; fail "resumed report differs from the uninterrupted one"; }
[ ! -e "$J" ] || fail "the journal of a complete run was left behind"
echo "resume_test: OK ($N samples, exactly once, equal to the uninterrupted run)"
