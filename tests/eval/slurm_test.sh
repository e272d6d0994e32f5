#!/usr/bin/env bash
# The slurm/ scripts on a real private single-node Slurm (tests/slurm/cluster.sh; Debian's
# slurm-wlm + munge). Skipped (status 77) when those are not installed.
#  1. slurm/eval.sbatch with 3 tasks (mpirun inside the allocation): report = a plain run's;
#  2. slurm/sweep.sbatch as a 2-element job array (one job file per task): each report holds its
#     task's records, equal to the plain run's;
#  3. preemption: the batch shell of an eval.sbatch job gets SIGUSR1 once 2 of 11 samples are
#     committed (units held back HOLD_MS each, so most are still to come); t2 stops with 75, the
#     script requeues the job, the rerun resumes, and the final report equals the plain run's.
# usage: slurm_test.sh T2 MAKE_MODEL   (from the repository root)
for tool in sbatch slurmctld slurmd munged scontrol; do
  command -v "$tool" > /dev/null || { echo "slurm_test: SKIPPED: $tool not found (apt-get install slurm-wlm munge)"; exit 77; }
done
N_GSM8K=6 N_ARC=5 N_MATH=1 MAX_TOKENS=12 HOLD_MS=1000
source "$(dirname "$0")/common.sh"
ROOT=$(pwd)
trap '"$ROOT/tests/slurm/cluster.sh" stop "$W/slurm" > /dev/null 2>&1; rm -rf "$W"' EXIT
"$ROOT/tests/slurm/cluster.sh" start "$W/slurm" > "$W/cluster.log" 2>&1 \
  || { cat "$W/cluster.log"; fail "could not start slurm"; }
export SLURM_CONF=$W/slurm/slurm.conf T2 T2_SLURM_DIR=$ROOT/slurm

job_file() {  # job_file NAME TASK... : a jobs/-style INI file for the given tasks
  local f=$W/$1.cfg; shift
  { echo "model = $W/model"; echo "max-new-tokens = $MAX_TOKENS"; echo "batch = 1"
    for t in "$@"; do
      case $t in gsm8k) d=gsm8k/test.jsonl ;; arc) d=arc/ARC-Challenge-Test.jsonl ;; esac
      echo "task = $t"; echo "data = $W/suite/$d"
    done; } > "$f"
  echo "$f"
}
JOB=$(job_file both gsm8k arc)
"$T2" eval --config "$JOB" --out "$W/ref.h5" > /dev/null 2> "$W/ref.err" || { cat "$W/ref.err"; fail "plain run failed"; }
samples "$W/ref.h5" > "$W/ref.tsv"
[ "$(wc -l < "$W/ref.tsv")" -eq 11 ] || fail "reference has $(wc -l < "$W/ref.tsv") records, expected 11"
state() { scontrol show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
restarts() { scontrol show job "$1" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p'; }

# 1. Single evaluation, 3 tasks on the 2-CPU node (--overcommit).
cd "$W"
sbatch --wait -n 3 -O -o "$W/single.log" "$ROOT/slurm/eval.sbatch" "$JOB" "$W/single.h5" > /dev/null \
  || { cat "$W/single.log"; fail "eval.sbatch failed"; }
grep -q "mpirun -np 3" "$W/single.log" || fail "eval.sbatch did not launch 3 ranks: $(cat "$W/single.log")"
diff "$W/ref.tsv" <(samples "$W/single.h5") > /dev/null || fail "eval.sbatch report differs from the plain run"
echo "slurm eval.sbatch: OK"

# 2. Job array over two job files.
printf '%s %s\n%s %s\n' "$(job_file g gsm8k)" "$W/sweep_g.h5" "$(job_file a arc)" "$W/sweep_a.h5" > "$W/sweep.list"
sbatch --wait --array=0-1 -o "$W/sweep_%a.log" "$ROOT/slurm/sweep.sbatch" "$W/sweep.list" > /dev/null \
  || { cat "$W"/sweep_*.log; fail "sweep.sbatch failed"; }
diff <(grep -P '^gsm8k\t' "$W/ref.tsv") <(samples "$W/sweep_g.h5") > /dev/null || fail "array element 0 differs"
diff <(grep -P '^arc\t' "$W/ref.tsv") <(samples "$W/sweep_a.h5") > /dev/null || fail "array element 1 differs"
echo "slurm sweep.sbatch array: OK"

# 3. Preemption: SIGUSR1 to the batch shell once a unit is committed → exit 75 → requeue → resume.
id=$(T2_TEST_UNIT_DELAY_MS=$HOLD_MS sbatch --parsable -n 3 -O -o "$W/pre.log" "$ROOT/slurm/eval.sbatch" \
       "$JOB" "$W/pre.h5")
wait_committed "$W/pre.h5" 2
scancel --batch --signal=USR1 "$id"
for _ in $(seq 300); do
  s=$(state "$id")
  [ "$s" = COMPLETED ] && [ "$(restarts "$id")" -ge 1 ] && break
  case $s in FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) cat "$W/pre.log"; fail "job ended $s" ;; esac
  sleep 1
done
[ "$(state "$id")" = COMPLETED ] || { cat "$W/pre.log"; fail "preempted job did not complete after requeue ($(state "$id"))"; }
grep -q "requeueing job $id" "$W/pre.log" || fail "no requeue in the log: $(cat "$W/pre.log")"
grep -q -- "--resume (restart 1)" "$W/pre.log" || fail "the rerun did not resume: $(cat "$W/pre.log")"
grep -q "stop requested" "$W/pre.log" || fail "t2 was not stopped by the signal: $(cat "$W/pre.log")"
diff "$W/ref.tsv" <(samples "$W/pre.h5") > /dev/null || fail "the resumed report differs from the plain run"
echo "slurm_test: OK (single, array, requeue after preemption)"
