#!/usr/bin/env bash
# Fault and load test of the distributed machinery with the toy workload (t2_dist_toy), run by
# ctest (label mpi). Each scenario interrupts a run under mpirun, resumes it, and requires the
# final report to equal an uninterrupted single-process run's, every sample exactly once:
#   1. same per-sample results with 1 process, mpirun -np 3 and mpirun -np 5 --tp 2
#   2. kill -9 of a worker mid-run          -> non-zero exit; resume with -np 5 --tp 2
#   3. SIGTERM to every rank (as Slurm does) -> exit 75, consistent report; resume inline
#  3b. SIGTERM to a single-process run       -> exit 75; resume
#   4. SIGUSR1 to mpirun (forwarded)         -> exit 75; resume with -np 3
#  4b. the same while units outlast --drain-timeout -> units abandoned, MPI_Abort(75), resume
#   5. SIGSTOP of a worker (silent)          -> non-zero exit within a bounded time naming the rank
#   6. kill -9 of the coordinator            -> resume from the journal
#   7. load: 10,000 samples on 4 ranks, every sample once; prints the coordinator cost per unit
# usage: fault_test.sh PATH/TO/t2_dist_toy
set -u
TOY=$1
WORK=$(mktemp -d /tmp/t2_dist_fault.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
export OMPI_MCA_btl=self,vader OMPI_MCA_rmaps_base_oversubscribe=1
MPIRUN="mpirun --oversubscribe"
N=400
COMMON="--samples $N --fail-every 17 --unit-size 4"
JOB_PID=0

fail() { echo "FAIL: $*"; exit 1; }
now() { echo $(( $(date +%s%N) / 1000000 )); }          # milliseconds
elapsed() { echo $(( $(now) - $1 )); }                     # milliseconds since $1

# start_job NAME NP [extra options]: launches mpirun in the background with slow samples
# (COST ms each, default 15).
start_job() {
  local name=$1 np=$2; shift 2
  rm -rf "pids_$name"; mkdir "pids_$name"
  local launch="$MPIRUN -np $np"
  [ "$np" = 1 ] && launch=""   # one process: no launcher, inline coordinator + worker
  $launch "$TOY" --out "$name.h5" $COMMON --cost-ms "${COST:-15}" --pid-dir "pids_$name" "$@" \
    > "$name.log" 2>&1 &
  JOB_PID=$!
  # Wait for every rank's pid file and for some committed units in the journal.
  local t0; t0=$(now)
  while [ "$(ls "pids_$name" | wc -l)" -lt "$np" ] || \
        [ "$(stat -c %s "$name.h5.journal" 2>/dev/null || echo 0)" -lt 3000 ]; do
    [ "$(elapsed "$t0")" -gt 20000 ] && fail "$name: job did not start; $(cat "$name.log")"
    kill -0 "$JOB_PID" 2>/dev/null || fail "$name: job ended early; $(cat "$name.log")"
    sleep 0.05
  done
}

# wait_job NAME LIMIT_S: waits for the background mpirun, at most LIMIT_S seconds; sets RC.
wait_job() {
  local name=$1 limit=$2 t0; t0=$(now)
  while kill -0 "$JOB_PID" 2>/dev/null; do
    if [ "$(elapsed "$t0")" -gt $(( limit * 1000 )) ]; then
      kill -9 "$JOB_PID"; fail "$name: job still running after $limit s; $(cat "$name.log")"
    fi
    sleep 0.05
  done
  wait "$JOB_PID"; RC=$?
  echo "  $name: exit $RC after $(elapsed "$t0") ms"
}

# check_same NAME: the report equals the reference, every sample exactly once.
check_same() {
  "$TOY" --dump "$1.h5" --expect-samples $N > "$1.txt" 2> "$1.dump.log" || fail "$1: $(cat "$1.dump.log")"
  cmp -s ref.txt "$1.txt" || { diff ref.txt "$1.txt" | head -5; fail "$1: report differs from the reference"; }
  grep -q "status complete" "$1.dump.log" || fail "$1: $(cat "$1.dump.log")"
  [ -e "$1.h5.journal" ] && fail "$1: journal left after a complete run"
  echo "  $1: equal to the reference ($(cat "$1.dump.log"))"
}

rank_pid() { cat "pids_$1/rank$2.pid"; }

echo "1. reference and world-size independence"
"$TOY" --out ref.h5 $COMMON 2> ref.log || fail "reference run: $(cat ref.log)"
"$TOY" --dump ref.h5 --expect-samples $N > ref.txt 2>/dev/null || fail "reference dump"
$MPIRUN -np 3 "$TOY" --out np3.h5 $COMMON 2> np3.log || fail "np 3: $(cat np3.log)"
check_same np3
$MPIRUN -np 5 "$TOY" --out np5.h5 $COMMON --tp 2 2> np5.log || fail "np 5 tp 2: $(cat np5.log)"
check_same np5

echo "2. kill -9 of a worker"
start_job kill9 3
kill -9 "$(rank_pid kill9 1)"
wait_job kill9 20
[ "$RC" -ne 0 ] || fail "kill9: exit status 0 after a worker was killed"
$MPIRUN -np 5 "$TOY" --out kill9.h5 $COMMON --tp 2 --resume 2> kill9.resume.log || fail "kill9 resume: $(cat kill9.resume.log)"
check_same kill9

echo "3. SIGTERM to every rank"
start_job term 3
for f in pids_term/*.pid; do kill -TERM "$(cat "$f")"; done
wait_job term 20
[ "$RC" -eq 75 ] || fail "term: exit status $RC, expected 75; $(cat term.log)"
"$TOY" --dump term.h5 > /dev/null 2> term.dump.log || fail "term: report unreadable: $(cat term.dump.log)"
grep -q "status interrupted" term.dump.log || fail "term: $(cat term.dump.log)"
"$TOY" --out term.h5 $COMMON --resume 2> term.resume.log || fail "term resume: $(cat term.resume.log)"
check_same term

echo "3b. SIGTERM to a single-process run"
start_job solo 1
kill -TERM "$JOB_PID"
wait_job solo 20
[ "$RC" -eq 75 ] || fail "solo: exit status $RC, expected 75; $(cat solo.log)"
"$TOY" --out solo.h5 $COMMON --resume 2> solo.resume.log || fail "solo resume: $(cat solo.resume.log)"
check_same solo

echo "4. SIGUSR1 to mpirun"
start_job usr1 3
kill -USR1 "$JOB_PID"
wait_job usr1 20
[ "$RC" -eq 75 ] || fail "usr1: exit status $RC, expected 75; $(cat usr1.log)"
$MPIRUN -np 3 "$TOY" --out usr1.h5 $COMMON --resume 2> usr1.resume.log || fail "usr1 resume: $(cat usr1.resume.log)"
check_same usr1

echo "4b. stop while units outlast the drain timeout"
COST=120 start_job drain 3 --drain-timeout 0.2
kill -USR1 "$JOB_PID"
wait_job drain 20
[ "$RC" -eq 75 ] || fail "drain: exit status $RC, expected 75; $(cat drain.log)"
grep -q "abandoning" drain.log || fail "drain: no unit was abandoned; $(cat drain.log)"
$MPIRUN -np 3 "$TOY" --out drain.h5 $COMMON --resume 2> drain.resume.log || fail "drain resume: $(cat drain.resume.log)"
check_same drain

echo "5. silent worker (SIGSTOP)"
start_job stop 3 --silence-timeout 2 --heartbeat 0.2
kill -STOP "$(rank_pid stop 2)"
wait_job stop 20
[ "$RC" -ne 0 ] || fail "stop: exit status 0 with a silent worker"
grep -q "worker rank 2 .* silent" stop.log || fail "stop: the error does not name rank 2; $(cat stop.log)"
kill -9 "$(rank_pid stop 2)" 2>/dev/null
$MPIRUN -np 3 "$TOY" --out stop.h5 $COMMON --resume 2> stop.resume.log || fail "stop resume: $(cat stop.resume.log)"
check_same stop

echo "6. kill -9 of the coordinator"
start_job coord 3
kill -9 "$(rank_pid coord 0)"
wait_job coord 20
[ "$RC" -ne 0 ] || fail "coord: exit status 0 after the coordinator was killed"
$MPIRUN -np 3 "$TOY" --out coord.h5 $COMMON --resume 2> coord.resume.log || fail "coord resume: $(cat coord.resume.log)"
check_same coord

echo "7. load: 10,000 samples on 4 ranks"
t0=$(now)
$MPIRUN -np 4 "$TOY" --out load.h5 --samples 10000 --unit-size 5 --sync-interval 1 \
  --stats-json load.json 2> load.log || fail "load: $(cat load.log)"
echo "  load: $(elapsed "$t0") ms wall; $(cat load.json)"
"$TOY" --dump load.h5 --expect-samples 10000 > /dev/null 2> load.dump.log || fail "load: $(cat load.dump.log)"
echo "  load: $(cat load.dump.log)"
echo "PASS"
