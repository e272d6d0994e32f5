#!/usr/bin/env bash
# `t2 eval` and `t2 report` as one process: a bad configuration is refused with every problem in one
# message (before any model is loaded); a run writes a report that h5dump reads, with one record per
# sample; `t2 report` prints text, CSV and per-sample tables; --resume of a complete run redoes
# nothing; an existing report is not overwritten by accident.
# usage: eval_cli_test.sh T2 MAKE_MODEL   (from the repository root)
source "$(dirname "$0")/common.sh"

# 1. Bad configuration: several problems, one message, exit 1, no report.
set +e
out=$("$T2" eval --model "$W/nope" --task gsm9k --data "$W/x.jsonl" --task mbpp \
      --data "$W/suite/mbpp/mbpp.jsonl" --tp 0 --out "$W/bad.h5" 2>&1)
rc=$?
set -e
[ $rc -eq 1 ] || fail "bad configuration exited $rc: $out"
for needle in "invalid configuration (" "--model $W/nope: no such folder" "--task gsm9k: unknown task" \
              "--allow-code-execution" "--tp must be >= 1"; do
  grep -qF -- "$needle" <<< "$out" || fail "message lacks '$needle': $out"
done
[ ! -e "$W/bad.h5" ] || fail "a report was written for a bad configuration"
set +e
out=$("$T2" eval --model "$W/model" --task gsm8k --out "$W/bad.h5" 2>&1); rc=$?
set -e
[ $rc -eq 1 ] && grep -qF "1 --task but 0 --data" <<< "$out" || fail "unpaired --task accepted: $out"
help=$("$T2" eval --help) && grep -qF -- "--allow-code-execution" <<<"$help" || fail "--help lacks options"

# 2. A run: 24 samples, one record each, readable by h5dump.
"$T2" eval "${EVAL_ARGS[@]}" --batch 4 --out "$W/r.h5" > "$W/eval.out" 2> "$W/eval.err" \
  || { cat "$W/eval.err"; fail "eval failed"; }
grep -q "^gsm8k" "$W/eval.out" || fail "no summary table printed: $(cat "$W/eval.out")"
samples "$W/r.h5" > "$W/s.tsv"
[ "$(wc -l < "$W/s.tsv")" -eq 24 ] || fail "expected 24 records, got $(wc -l < "$W/s.tsv")"
[ "$(cut -f1,2 "$W/s.tsv" | sort -u | wc -l)" -eq 24 ] || fail "a sample appears twice"
awk -F'\t' '$7 != "\"ok\"" {exit 1}' "$W/s.tsv" || fail "error records in a clean run: $(grep -v '"ok"' "$W/s.tsv")"
awk -F'\t' '$9 < 1 || $9 > 20 {exit 1}' "$W/s.tsv" || fail "generated tokens outside [1, 20]"
h5dump -H "$W/r.h5" > /dev/null || fail "h5dump cannot read the report"

# 3. Report tables.
"$T2" report "$W/r.h5" | grep -qE "^arc +.*r\.h5 +complete +8 " || fail "text table lacks arc with n = 8"
"$T2" report --csv "$W/r.h5" "$W/r.h5" | grep -c "^math," | grep -qx 2 || fail "CSV lacks two math rows"
"$T2" report "$W/r.h5" "$W/r.h5" | grep -c "^gsm8k " | grep -qx 2 || fail "reports not side by side"

# 4. Resume of a complete run changes nothing; create refuses to overwrite.
"$T2" eval "${EVAL_ARGS[@]}" --batch 4 --out "$W/r.h5" --resume 2> "$W/resume.err" \
  || { cat "$W/resume.err"; fail "resume of a complete run failed"; }
grep -q "24 already committed, 0 units" "$W/resume.err" || fail "resume redid work: $(cat "$W/resume.err")"
diff <(samples "$W/r.h5") "$W/s.tsv" > /dev/null || fail "resume changed the records"
if "$T2" eval "${EVAL_ARGS[@]}" --batch 4 --out "$W/r.h5" 2> /dev/null; then
  fail "an existing report was overwritten without --overwrite"
fi
# A changed configuration cannot resume.
if "$T2" eval "${EVAL_ARGS[@]}" --batch 5 --out "$W/r.h5" --resume 2> "$W/cfg.err"; then
  fail "resume accepted a different configuration"
fi
echo "eval_cli_test: OK"
