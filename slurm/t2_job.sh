# Shared body of the sbatch scripts (sourced): runs one `t2 eval` job file to completion across
# preemptions. It adds only --out and, when that report already exists, --resume; everything that
# changes results comes from the job file. t2 is launched with mpirun when the allocation has more
# than one task (Open MPI's mpirun reads the Slurm allocation itself), directly otherwise.
# SIGTERM/SIGUSR1 reaching the batch shell (preemption, `--signal=B:USR1@T` before the time limit,
# `scancel --batch --signal=...`) are passed on to t2 as SIGUSR1, which stops at the next unit
# boundary and exits 75; the job is then requeued with `scontrol requeue` and resumes.
#   t2_eval_job JOBFILE REPORT.h5
# Environment (export it where sbatch runs; sbatch passes it on): T2 (binary, default `t2` on
# PATH); T2_MPIRUN (launcher, default `mpirun`). Relative paths (the job file, the report, and the
# paths inside the job file) are resolved from the job's working directory, printed below.
t2_eval_job() {
  local job=${1:?usage: t2_eval_job JOBFILE REPORT.h5} out=${2:?usage: t2_eval_job JOBFILE REPORT.h5}
  local t2=${T2:-t2} ntasks=${SLURM_NTASKS:-1} resume=()
  if [ -e "$out" ] || [ -e "$out.journal" ]; then resume=(--resume); fi
  local launch=()
  if [ "$ntasks" -gt 1 ]; then
    read -r -a launch <<< "${T2_MPIRUN:-mpirun} -np $ntasks"
  fi
  echo "t2 job: ${launch[*]} $t2 eval --config $job --out $out ${resume[*]} (restart ${SLURM_RESTART_COUNT:-0}) in $PWD"
  "${launch[@]}" "$t2" eval --config "$job" --out "$out" "${resume[@]}" &
  local child=$!
  trap 'kill -USR1 '"$child"' 2>/dev/null' TERM USR1
  local rc=0
  while true; do
    wait "$child"; rc=$?
    kill -0 "$child" 2>/dev/null || break   # wait was cut short by a trapped signal
  done
  trap - TERM USR1
  if [ "$rc" -eq 75 ]; then
    echo "t2 job: interrupted with committed results; requeueing job ${SLURM_JOB_ID:-?}"
    [ -n "${SLURM_JOB_ID:-}" ] && scontrol requeue "$SLURM_JOB_ID"
    return 0
  fi
  return "$rc"
}
