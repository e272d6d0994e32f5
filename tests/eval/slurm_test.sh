#!/usr/bin/env bash
# The slurm/ scripts on a real private single-node Slurm (tests/slurm/cluster.sh; Debian's
# slurm-wlm + munge). Skipped (status 77) when those are not installed.
#  1. slurm/eval.sbatch as a user submits it (its own resources: 3 tasks on the 2-CPU node, which
#     the template's --overcommit allows; no T2_SLURM_DIR, so the script finds itself through
#     scontrol): report = a plain run's;
#  2. slurm/sweep.sbatch as a 2-element job array (one job file per task, with paths relative to
#     the folder sbatch runs in; no T2_SLURM_DIR: element 0's job id is the array's, for which
#     scontrol lists every element): each report holds its task's records, equal to the plain run's;
#  3. preemption: the batch shell of an eval.sbatch job gets SIGUSR1 once 2 of 11 samples are
#     committed (units held back HOLD_MS each, so most are still to come); t2 stops with 75, the
#     script requeues the job, the rerun resumes, and the final report equals the plain run's. The
#     wait Slurm imposes before the requeued job starts again is printed (docs/eval.md).
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
export SLURM_CONF=$W/slurm/slurm.conf T2
unset T2_SLURM_DIR

job_file() {  # job_file NAME TASK... : a jobs/-style INI file for the given tasks; with REL=1 its
              # paths are relative to $W (resolved from the folder sbatch runs in)
  local f=$W/$1.cfg base=$W; shift
  [ -n "${REL:-}" ] && base=.
  { echo "model = $base/model"; echo "max-new-tokens = $MAX_TOKENS"; echo "batch = 1"
    for t in "$@"; do
      case $t in gsm8k) d=gsm8k/test.jsonl ;; arc) d=arc/ARC-Challenge-Test.jsonl ;; esac
      echo "task = $t"; echo "data = $base/suite/$d"
    done; } > "$f"
  echo "$f"
}
# The first match only, reading all input (an early-exiting `head` would fail the pipeline).
state() { scontrol show job "$1" | sed -n '0,/JobState=/s/.*JobState=\([A-Z_]*\).*/\1/p'; }
restarts() { scontrol show job "$1" | sed -n '0,/Restarts=/s/.*Restarts=\([0-9]*\).*/\1/p'; }
JOB=$(job_file both gsm8k arc)
"$T2" eval --config "$JOB" --out "$W/ref.h5" > /dev/null 2> "$W/ref.err" || { cat "$W/ref.err"; fail "plain run failed"; }
samples "$W/ref.h5" > "$W/ref.tsv"
[ "$(wc -l < "$W/ref.tsv")" -eq 11 ] || fail "reference has $(wc -l < "$W/ref.tsv") records, expected 11"

# 1. Single evaluation with the script's own resources: 3 tasks on the 2-CPU node. A template that
#    asks for more CPUs than the node has would pend forever: give up after 5 minutes.
cd "$W"
id=$(sbatch --parsable -o "$W/single.log" "$ROOT/slurm/eval.sbatch" "$JOB" "$W/single.h5")
for _ in $(seq 300); do
  case $(state "$id") in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) break ;; esac
  sleep 1
done
s=$(state "$id")
if [ "$s" != COMPLETED ]; then
  reason=$(scontrol show job "$id" | sed -n '0,/Reason=/s/.*Reason=\([^ ]*\).*/\1/p')
  scancel "$id"
  cat "$W/single.log" 2> /dev/null || true
  fail "eval.sbatch as submitted ended $s (reason $reason)"
fi
grep -q "mpirun -np 3" "$W/single.log" || fail "eval.sbatch did not launch 3 ranks: $(cat "$W/single.log")"
diff "$W/ref.tsv" <(samples "$W/single.h5") > /dev/null || fail "eval.sbatch report differs from the plain run"
echo "slurm eval.sbatch: OK"

# 2. Job array over two job files with relative paths, submitted from $W.
printf '%s %s\n%s %s\n' "$(REL=1 job_file g gsm8k)" sweep_g.h5 "$(REL=1 job_file a arc)" sweep_a.h5 > "$W/sweep.list"
sbatch --wait --array=0-1 -o "$W/sweep_%a.log" "$ROOT/slurm/sweep.sbatch" sweep.list > /dev/null \
  || { cat "$W"/sweep_*.log; fail "sweep.sbatch failed"; }
diff <(grep -P '^gsm8k\t' "$W/ref.tsv") <(samples "$W/sweep_g.h5") > /dev/null || fail "array element 0 differs"
diff <(grep -P '^arc\t' "$W/ref.tsv") <(samples "$W/sweep_a.h5") > /dev/null || fail "array element 1 differs"
echo "slurm sweep.sbatch array: OK"

# 3. Preemption: SIGUSR1 to the batch shell once a unit is committed → exit 75 → requeue → resume.
id=$(T2_TEST_UNIT_DELAY_MS=$HOLD_MS T2_SLURM_DIR=$ROOT/slurm sbatch --parsable -n 3 -O -o "$W/pre.log" \
       "$ROOT/slurm/eval.sbatch" "$JOB" "$W/pre.h5")
wait_committed "$W/pre.h5" 2
scancel --batch --signal=USR1 "$id"
requeued="" restarted="" why=""
for _ in $(seq 300); do
  s=$(state "$id")
  if [ -z "$requeued" ] && [ "$s" = PENDING ]; then
    requeued=$(date +%s)
    why=$(scontrol show job "$id" | grep -oE '(Reason|EligibleTime)=[^ ]*' | tr '\n' ' ' || true)
  fi
  [ -n "$requeued" ] && [ -z "$restarted" ] && [ "$s" != PENDING ] && restarted=$(date +%s)
  [ "$s" = COMPLETED ] && [ "$(restarts "$id")" -ge 1 ] && break
  case $s in FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) cat "$W/pre.log"; fail "job ended $s" ;; esac
  sleep 1
done
[ "$(state "$id")" = COMPLETED ] || { cat "$W/pre.log"; fail "preempted job did not complete after requeue ($(state "$id"))"; }
grep -q "requeueing job $id" "$W/pre.log" || fail "no requeue in the log: $(cat "$W/pre.log")"
grep -q -- "--resume (restart 1)" "$W/pre.log" || fail "the rerun did not resume: $(cat "$W/pre.log")"
grep -q "stop requested" "$W/pre.log" || fail "t2 was not stopped by the signal: $(cat "$W/pre.log")"
diff "$W/ref.tsv" <(samples "$W/pre.h5") > /dev/null || fail "the resumed report differs from the plain run"
grep -q 'restart 1) in ' "$W/pre.log" || fail "the rerun did not print its folder: $(cat "$W/pre.log")"
echo "slurm requeue: the requeued job pended $(( ${restarted:-0} - ${requeued:-0} )) s (${why% }; requeued at $(date -d "@${requeued:-0}" +%FT%T)) before it ran again"
echo "slurm_test: OK (single as submitted, array without T2_SLURM_DIR, requeue after preemption)"
