#!/usr/bin/env bash
# End-to-end check of `t2 score` on real data files: JSON lines per sample, the summary line,
# bad/unknown completion lines counted as errors, the code-execution opt-in, --help.
# Usage: tests/tasks/score_cli_test.sh PATH/TO/t2   (run from the repository root)
set -euo pipefail
t2=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "score_cli_test: $*" >&2; exit 1; }

help=$("$t2" score --help) && grep -q -- "--allow-code-execution" <<<"$help" || fail "--help lacks --allow-code-execution"

# GSM8K test line 0 has gold 18, line 1 gold 3.
cat > "$tmp/gsm.jsonl" <<'JSON'
{"id": "0", "completion": "She sells 16 - 3 - 4 = 9 eggs, making 9 * 2 = $18."}
{"id": "1", "completion": "It takes 2 + 1 = 4 bolts."}
{"id": "999999", "completion": "unknown id"}
this is not json
{"id": "0", "completion": "a repeat"}
JSON
out=$("$t2" score --task gsm8k --data ../shared/datasets/gsm8k/test.jsonl --completions "$tmp/gsm.jsonl" 2>"$tmp/err")
echo "$out" | sed -n 1p | grep -q '"correct":true' || fail "gsm8k line 0 not correct: $out"
echo "$out" | sed -n 1p | grep -q '"prediction":"18"' || fail "gsm8k prediction: $out"
echo "$out" | sed -n 2p | grep -q '"correct":false' || fail "gsm8k line 1 should be wrong: $out"
echo "$out" | tail -n 1 | grep -q '{"summary":{"accuracy":0.5,"correct":1,"errors":3,"n":2}}' || fail "summary: $out"
grep -q "999999" "$tmp/err" || fail "unknown id not reported"
[ "$(echo "$out" | wc -l)" -eq 3 ] || fail "expected 2 sample lines + summary"

# Code tasks refuse to run without the opt-in, before scoring anything.
printf '{"id": 2, "completion": "x"}\n' > "$tmp/mbpp.jsonl"
if "$t2" score --task mbpp --data ../shared/datasets/mbpp/mbpp.jsonl --completions "$tmp/mbpp.jsonl" \
    >"$tmp/out" 2>"$tmp/err"; then fail "mbpp ran without --allow-code-execution"; fi
grep -q "allow-code-execution" "$tmp/err" || fail "missing opt-in message"
[ ! -s "$tmp/out" ] || fail "printed results without the opt-in"

# MBPP task 2 with its reference code (int id) passes; a wrong body fails.
python3 - "$tmp/mbpp.jsonl" <<'PY'
import json, sys
rec = [json.loads(l) for l in open("../shared/datasets/mbpp/mbpp.jsonl") if json.loads(l)["task_id"] == 2][0]
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"id": 2, "completion": rec["code"] + "\n```\nThis works."}) + "\n")
    f.write(json.dumps({"id": "3", "completion": "def is_not_prime(n):\n    return True\n```"}) + "\n")
PY
out=$("$t2" score --task mbpp --data ../shared/datasets/mbpp/mbpp.jsonl --completions "$tmp/mbpp.jsonl" \
      --allow-code-execution 2>"$tmp/err")
echo "$out" | sed -n 1p | grep -q '"correct":true,"id":"2"' || fail "mbpp 2: $out"
echo "$out" | sed -n 2p | grep -q '"status":"fail"' || fail "mbpp 3: $out"

# Reference mode differs from clean where the reference drops thousands separators.
id=$(python3 -c "
import json
for i, l in enumerate(open('../shared/datasets/gsm8k/test.jsonl')):
    if ',' in l.split('####')[-1]: print(i); break")
gold=$(python3 -c "
import json
print(json.loads(open('../shared/datasets/gsm8k/test.jsonl').readlines()[$id])['answer'].split('####')[-1].strip())")
printf '{"id": "%s", "completion": "The total is %s."}\n' "$id" "$gold" > "$tmp/g2.jsonl"
"$t2" score --task gsm8k --data ../shared/datasets/gsm8k/test.jsonl --completions "$tmp/g2.jsonl" \
  | head -n 1 | grep -q '"correct":true' || fail "clean mode with separators"
"$t2" score --task gsm8k --data ../shared/datasets/gsm8k/test.jsonl --completions "$tmp/g2.jsonl" --scoring reference \
  | head -n 1 | grep -q '"correct":false' || fail "reference mode should miss $gold"
echo "score_cli_test: ok"
