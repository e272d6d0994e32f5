#!/usr/bin/env bash
# A full disk: small tmpfs mounts as the output folder (needs the right to mount; skipped, status
# 77, with a message where mounting fails, e.g. without root). Every command must end with a clear
# error and exit status 1 — never a crash — and leave nothing a reader would take for a result:
#   eval       no unreadable report (the damaged .h5 is removed), the journal keeps the committed
#              samples, and --resume with room to write finishes a report equal to a plain run's
#   expert     expert init leaves no file and no temporary behind
#   decompose  no unreadable store at --out (it is moved to STORE.damaged), a rerun with room
#              succeeds, and a store damaged otherwise is refused with advice
#   stdout     score writing its result to a file on the full disk fails
# usage: disk_full_test.sh T2 MAKE_MODEL   (from the repository root)
N_GSM8K=24 N_ARC=0 N_MATH=0 WITH_SVF=1
source "$(dirname "$0")/../eval/common.sh"
cleanup() {  # every tmpfs mounted under $W, then $W
  awk -v w="$W/" 'index($2, w) == 1 {print $2}' /proc/mounts | while read -r m; do umount "$m"; done
  rm -rf "$W"
}
trap cleanup EXIT
# full KB: a fresh tmpfs of that size under $W; echoes its path.
full() {
  local d
  d=$(mktemp -d "$W/full.XXXX")
  mount -t tmpfs -o "size=${1}k" tmpfs "$d" 2> "$W/mount.err" || return 1
  echo "$d"
}
if ! F=$(full 64); then
  echo "disk_full_test: SKIPPED: cannot mount a tmpfs here ($(cat "$W/mount.err")); run as root to test a full disk"
  exit 77
fi
set +e
# exit_is_1 CASE RC: a clear failure, exit status 1 (not 139, a segmentation fault).
exit_is_1() { [ "$2" -eq 1 ] || fail "$1: exit status $2, expected 1: $(tail -3 "$W/err")"; }
ARGS=(--model "$W/model" --task gsm8k --data "$W/suite/gsm8k/test.jsonl" --max-new-tokens 20 --batch 2)

# eval
"$T2" eval "${ARGS[@]}" --out "$F/r.h5" > /dev/null 2> "$W/err"
exit_is_1 eval $?
grep -q "No space left on device" "$W/err" || fail "eval: the message does not name the cause: $(cat "$W/err")"
grep -q "rerun with --resume" "$W/err" || fail "eval: no advice: $(cat "$W/err")"
if [ -e "$F/r.h5" ]; then
  h5dump -H "$F/r.h5" > /dev/null 2>&1 || fail "eval: an unreadable report was left at $F/r.h5"
fi
[ -s "$F/r.h5.journal" ] || fail "eval: the journal with the committed samples is gone"
mkdir -p "$W/room"
cp "$F/r.h5.journal" "$W/room/"
"$T2" eval "${ARGS[@]}" --out "$W/room/r.h5" --resume > /dev/null 2> "$W/err" || fail "eval: resume failed: $(cat "$W/err")"
"$T2" eval "${ARGS[@]}" --out "$W/plain.h5" > /dev/null 2>&1 || fail "eval: plain run failed"
diff <(samples "$W/room/r.h5") <(samples "$W/plain.h5") > /dev/null || fail "eval: the resumed report differs from a plain run"
echo "disk full: eval OK"

# expert init
F=$(full 8) || fail "second mount failed"
"$T2" expert init --svd "$W/model/svd.h5" --out "$F/e.h5" > /dev/null 2> "$W/err"
exit_is_1 expert $?
grep -q "No space left on device" "$W/err" || fail "expert: the message does not name the cause: $(cat "$W/err")"
[ -z "$(ls -A "$F")" ] || fail "expert: files left on the full disk: $(ls -la "$F")"
echo "disk full: expert init OK"

# decompose
F=$(full 48) || fail "third mount failed"
"$T2" decompose --model "$W/model" --out "$F/svd.h5" --quiet > /dev/null 2> "$W/err"
exit_is_1 decompose $?
grep -q "No space left on device" "$W/err" || fail "decompose: the message does not name the cause: $(cat "$W/err")"
if [ -e "$F/svd.h5" ]; then
  h5dump -H "$F/svd.h5" > /dev/null 2>&1 || fail "decompose: an unreadable store was left at $F/svd.h5"
else
  grep -q "moved to $F/svd.h5.damaged" "$W/err" || fail "decompose: the store vanished without a word: $(cat "$W/err")"
fi
"$T2" decompose --model "$W/model" --out "$W/room/svd.h5" --quiet > /dev/null 2> "$W/err" \
  || fail "decompose: a rerun with room failed: $(cat "$W/err")"
cmp -s <(h5dump -d /model.layers.0.mlp.up_proj.weight/S "$W/room/svd.h5" | tail -n +3) \
       <(h5dump -d /model.layers.0.mlp.up_proj.weight/S "$W/model/svd.h5" | tail -n +3) \
  || fail "decompose: the rerun's store differs from a store made in one go"
head -c 20000 "$W/model/svd.h5" > "$W/room/cut.h5"
"$T2" decompose --model "$W/model" --out "$W/room/cut.h5" --quiet > /dev/null 2> "$W/err"
exit_is_1 decompose-damaged $?
grep -q "exists but cannot be read" "$W/err" && grep -q "move it away or remove it" "$W/err" \
  || fail "decompose: a damaged store is not refused with advice: $(cat "$W/err")"
echo "disk full: decompose OK"

# standard output into a file on a full disk
F=$(full 4) || fail "fourth mount failed"
head -c 4096 /dev/zero > "$F/filler" 2> /dev/null
for i in $(seq 0 23); do echo "{\"id\": \"$i\", \"completion\": \"#### $i\"}"; done > "$W/c.jsonl"
"$T2" score --task gsm8k --data "$W/suite/gsm8k/test.jsonl" --completions "$W/c.jsonl" > "$F/scores.jsonl" 2> "$W/err"
exit_is_1 stdout $?
grep -q "cannot write standard output" "$W/err" || fail "stdout: no message: $(cat "$W/err")"
echo "disk_full_test: OK"
