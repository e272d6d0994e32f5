#!/usr/bin/env bash
# The t2 binary where things go wrong, one case per line of the report it prints; every case runs
# even when an earlier one failed, and the script fails if any did:
#   resume     --resume after the data file changed is refused, naming the file and fingerprints;
#              restoring the data lets the same resume finish
#   stdout     score, tokenize, report --samples, generate, logprobs and --help fail on /dev/full
#   overwrite  eval --overwrite refuses an expert file (and a folder) and replaces a report
#   inputs     a malformed T2_TEST_UNIT_DELAY_MS, and t2 init of a 10^12-token vocabulary, fail
#              before creating anything (no report, journal, folder or temporary file)
#   empty      eval --data and score --completions of an empty or blank file are refused
#   not-file   a folder as --config, /dev/zero or a folder as --data are named as what they are
#   mixture    per-matrix weights for a matrix the experts do not adapt are refused
#   lines      /dev/zero as input of tokenize, logprobs and score stops at the line bound, which
#              --max-line-bytes moves
#   strategy   t2 report tells a base report from an expert report by its strategy column
#   ranges     out-of-range numbers for generate, train and pretrain are refused before any work,
#              and a pretrain that fails before its first checkpoint leaves no output folder
# usage: failures_test.sh T2 MAKE_MODEL   (from the repository root)
N_GSM8K=6 N_ARC=0 N_MATH=0 MAX_TOKENS=4 WITH_SVF=1
source "$(dirname "$0")/../eval/common.sh"
set +e
FAILED=()
bad() { FAILED+=("$1: $2"); echo "FAIL $1: $2" >&2; }
ok() { echo "ok   $1"; }
# refuses CASE NEEDLE CMD...: CMD exits 1 (no crash, no success) with NEEDLE in its stderr.
refuses() {
  local name=$1 needle=$2; shift 2
  "$@" > "$W/out" 2> "$W/err"
  local rc=$?
  if [ $rc -ne 1 ]; then bad "$name" "exit $rc, expected 1: $(head -c 400 "$W/err")"; return 1; fi
  if ! grep -qF -- "$needle" "$W/err"; then bad "$name" "message lacks '$needle': $(head -c 400 "$W/err")"; return 1; fi
  ok "$name"
}
GSM=$W/suite/gsm8k/test.jsonl
ARGS=(--model "$W/model" --max-new-tokens 4 --batch 1)

# resume: interrupt (exit 75) after 2 committed samples, edit line 4, resume.
cp "$GSM" "$W/d.jsonl"
T2_TEST_UNIT_DELAY_MS=$HOLD_MS "$T2" eval "${ARGS[@]}" --task gsm8k --data "$W/d.jsonl" --out "$W/res.h5" \
  > /dev/null 2> "$W/res.err" &
pid=$!
wait_committed "$W/res.h5" 2
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 75 ] || bad resume "the interrupted run exited $rc, expected 75: $(tail -3 "$W/res.err")"
cp "$W/d.jsonl" "$W/d.orig"
sed -i '4s/"question":"/"question":"Edited. /' "$W/d.jsonl"
cmp -s "$W/d.jsonl" "$W/d.orig" && bad resume "the edit did not change the data"
refuses resume "input 'data/gsm8k' ($W/d.jsonl) changed since the run started (fingerprint" \
  "$T2" eval "${ARGS[@]}" --task gsm8k --data "$W/d.jsonl" --out "$W/res.h5" --resume
cp "$W/d.orig" "$W/d.jsonl"
"$T2" eval "${ARGS[@]}" --task gsm8k --data "$W/d.jsonl" --out "$W/res.h5" --resume > /dev/null 2> "$W/err" \
  || bad resume "resume with the original data failed: $(tail -3 "$W/err")"
"$T2" eval "${ARGS[@]}" --task gsm8k --data "$GSM" --out "$W/plain.h5" > /dev/null 2>&1 || bad resume "plain run failed"
diff <(samples "$W/res.h5") <(samples "$W/plain.h5") > /dev/null && ok "resume (restored data = a plain run)" \
  || bad resume "the resumed report differs from a plain run"

# stdout: every command that prints its result fails when the result cannot be written.
echo '{"id": "0", "completion": "#### 18"}' > "$W/c.jsonl"
echo '{"text": "hello world"}' > "$W/t.jsonl"
echo '{"ids": [1, 2, 3]}' > "$W/ids.jsonl"
refuses stdout-score "cannot write standard output" sh -c "\"$T2\" score --task gsm8k --data \"$GSM\" --completions \"$W/c.jsonl\" > /dev/full"
refuses stdout-tokenize "cannot write standard output" sh -c "\"$T2\" tokenize --tokenizer \"$W/model\" --input \"$W/t.jsonl\" > /dev/full"
refuses stdout-report "cannot write standard output" sh -c "\"$T2\" report --samples \"$W/plain.h5\" > /dev/full"
refuses stdout-generate "cannot write standard output" sh -c "\"$T2\" generate --model \"$W/model\" --prompt hi --max-new-tokens 2 > /dev/full"
refuses stdout-logprobs "cannot write standard output" sh -c "\"$T2\" logprobs --model \"$W/model\" --input \"$W/ids.jsonl\" > /dev/full"
refuses stdout-help "cannot write standard output" sh -c "\"$T2\" report --help > /dev/full"

# overwrite: only a report is replaced.
cp "$W/model/wild.h5" "$W/expert.h5"
refuses overwrite-expert "'$W/expert.h5' is an SVF expert, not a t2 report" \
  "$T2" eval "${ARGS[@]}" --task gsm8k --data "$GSM" --limit 1 --out "$W/expert.h5" --overwrite
cmp -s "$W/expert.h5" "$W/model/wild.h5" || bad overwrite-expert "the expert file was changed"
mkdir -p "$W/folder.h5"
refuses overwrite-folder "found a directory" \
  "$T2" eval "${ARGS[@]}" --task gsm8k --data "$GSM" --limit 1 --out "$W/folder.h5" --overwrite
"$T2" eval "${ARGS[@]}" --task gsm8k --data "$GSM" --limit 1 --out "$W/plain.h5" --overwrite > /dev/null 2>&1 \
  && [ "$(samples "$W/plain.h5" | wc -l)" -eq 1 ] && ok overwrite-report || bad overwrite-report "a report was not replaced"

# inputs: checked before any output exists.
refuses inputs-delay "T2_TEST_UNIT_DELAY_MS='abc'" \
  env T2_TEST_UNIT_DELAY_MS=abc "$T2" eval "${ARGS[@]}" --task gsm8k --data "$GSM" --out "$W/o.h5"
{ [ ! -e "$W/o.h5" ] && [ ! -e "$W/o.h5.journal" ]; } || bad inputs-delay "outputs were created: $(ls "$W"/o.h5*)"
"$T2" eval "${ARGS[@]}" --task gsm8k --data "$GSM" --limit 1 --out "$W/o.h5" > /dev/null 2>&1 \
  || bad inputs-delay "a plain rerun was refused"
sed 's/"vocab_size": *[0-9]*/"vocab_size": 1000000000000/' "$W/model/config.json" > "$W/big.json"
grep -q '"vocab_size": 1000000000000' "$W/big.json" || bad inputs-init "could not make the big config"
refuses inputs-init "model.embed_tokens.weight needs" "$T2" init --config "$W/big.json" --out "$W/big"
[ ! -e "$W/big" ] || bad inputs-init "output folder left behind: $(ls -la "$W/big")"
ls "$W"/big/*.tmp.* > /dev/null 2>&1 && bad inputs-init "temporary file left behind"

# empty: no records is an error, not an empty result.
: > "$W/empty.jsonl"
printf '\n   \n\t\n' > "$W/blank.jsonl"
refuses empty-data "holds no records" "$T2" eval "${ARGS[@]}" --task gsm8k --data "$W/empty.jsonl" --out "$W/e.h5"
[ ! -e "$W/e.h5" ] || bad empty-data "a report was written"
refuses blank-data "holds no records" "$T2" eval "${ARGS[@]}" --task gsm8k --data "$W/blank.jsonl" --out "$W/e.h5"
refuses empty-completions "holds no records" "$T2" score --task gsm8k --data "$GSM" --completions "$W/empty.jsonl"
echo 'not json' > "$W/junk.jsonl"
refuses junk-completions "nothing to score" "$T2" score --task gsm8k --data "$GSM" --completions "$W/junk.jsonl"

# not-file: say what the path is.
refuses config-folder "--config job file '$W': expected a file, found a directory" "$T2" eval --config "$W"
refuses data-device "--data /dev/zero (task gsm8k): expected a file, found a character device" \
  "$T2" eval "${ARGS[@]}" --task gsm8k --data /dev/zero --out "$W/z.h5"
refuses data-folder "--data $W (task gsm8k): expected a file, found a directory" \
  "$T2" eval "${ARGS[@]}" --task gsm8k --data "$W" --out "$W/z.h5"
refuses score-data-device "expected a file, found a character device" \
  "$T2" score --task gsm8k --data /dev/zero --completions "$W/c.jsonl"

# mixture: a misspelt matrix name.
"$T2" expert init --svd "$W/model/svd.h5" --out "$W/e1.h5" --random-seed 1 > /dev/null
"$T2" expert init --svd "$W/model/svd.h5" --out "$W/e2.h5" --random-seed 2 > /dev/null
echo '{"model.layers.0.mlp.nosuch.weight": [1.0, 0.0]}' > "$W/per_layer.json"
refuses mixture "'model.layers.0.mlp.nosuch.weight', which its experts do not adapt" \
  "$T2" mixture make --experts a="$W/e1.h5",b="$W/e2.h5" --alpha 0.5,0.5 --per-layer "$W/per_layer.json" --out "$W/mix.h5"
[ ! -e "$W/mix.h5" ] || bad mixture "the mixture was written"

# lines: an endless line stops at the bound with its line number.
refuses lines-tokenize "/dev/zero:1: line longer than" "$T2" tokenize --tokenizer "$W/model" --input /dev/zero
refuses lines-logprobs "/dev/zero:1: line longer than" "$T2" logprobs --model "$W/model" --input /dev/zero
refuses lines-score "/dev/zero:1: line longer than" "$T2" score --task gsm8k --data "$GSM" --completions /dev/zero
{ echo '{"text": "short"}'; printf '{"text": "%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' a)"; } > "$W/long.jsonl"
refuses lines-bound "long.jsonl:2: line longer than 1000 bytes" \
  "$T2" tokenize --tokenizer "$W/model" --input "$W/long.jsonl" --max-line-bytes 1000
"$T2" tokenize --tokenizer "$W/model" --input "$W/long.jsonl" > /dev/null 2> "$W/err" && ok lines-default \
  || bad lines-default "a 3 kB line was refused by default: $(cat "$W/err")"

# strategy: base and expert reports side by side.
"$T2" eval "${ARGS[@]}" --task gsm8k --data "$GSM" --limit 2 --out "$W/base.h5" > /dev/null 2>&1
"$T2" eval "${ARGS[@]}" --task gsm8k --data "$GSM" --limit 2 --svd "$W/model/svd.h5" --expert "$W/model/wild.h5" \
  --out "$W/expert_run.h5" > /dev/null 2>&1 || bad strategy "the expert run failed"
"$T2" report --csv "$W/base.h5" "$W/expert_run.h5" > "$W/table.csv" 2> "$W/err"
head -1 "$W/table.csv" | grep -q ',strategy$' || bad strategy "no strategy column: $(head -1 "$W/table.csv")"
grep -q "base.h5,.*,base$" "$W/table.csv" && grep -q "expert_run.h5,.*,expert:" "$W/table.csv" && ok strategy \
  || bad strategy "rows do not name their strategy: $(cat "$W/table.csv")"

# ranges: every numeric option is checked before any work or output.
for a in "--max-new-tokens -1" "--max-new-tokens 0" "--temperature nan" "--temperature -1" "--temperature inf" \
         "--top-p 0" "--top-p 1.5"; do
  refuses "ranges-generate $a" "${a%% *} must be" "$T2" generate --model "$W/model" --prompt hi $a
done
TRAIN=(--model "$W/model" --svd "$W/model/svd.h5" --task gsm8k --data "$GSM" --out "$W/tr/e.h5")
for a in "--lr -5" "--lr nan" "--max-mult -2" "--kl-coef -3" "--max-grad-norm -1" "--iters 0" "--batch 0"; do
  refuses "ranges-train $a" "${a%% *} must be" "$T2" train "${TRAIN[@]}" $a
done
[ ! -e "$W/tr" ] || bad ranges-train "outputs were created: $(ls -R "$W/tr")"
echo '{"text": "hello world"}' > "$W/tiny_corpus.jsonl"
PRE=(--shape "$W/model/config.json" --corpus "$W/tiny_corpus.jsonl" --tokenizer "$W/model" --out "$W/pre" --steps 2)
for a in "--lr nan" "--lr -1" "--min-lr-ratio 2" "--warmup -1" "--weight-decay nan" "--max-grad-norm -1" \
         "--init-std -1" "--seq-len 1" "--log-every 0" "--save-every -1"; do
  refuses "ranges-pretrain $a" "${a%% *} must be" "$T2" pretrain "${PRE[@]}" $a
done
refuses ranges-pretrain-corpus "it needs more than --seq-len = 16" \
  "$T2" pretrain "${PRE[@]}" --seq-len 16
[ ! -e "$W/pre" ] || bad ranges-pretrain "an output folder was left: $(ls "$W/pre")"

if [ ${#FAILED[@]} -gt 0 ]; then
  echo "failures_test: ${#FAILED[@]} case(s) failed:" >&2
  printf '  %s\n' "${FAILED[@]}" >&2
  exit 1
fi
echo "failures_test: OK"
