#!/usr/bin/env bash
# The svf commands end to end on a Hugging Face fixture model: decompose (fresh and resumed),
# expert init/show, mixture make/show, --help for each, and clear errors (exit status 1, message
# naming the problem) for a wrong base model, a truncated file and all-zero mixture weights.
# Usage: tests/svf/cli_test.sh PATH/TO/t2   (run from the repository root)
set -euo pipefail
t2=$1
model=tests/reference/fixtures/llama3_gqa_tied_f32
other=tests/reference/fixtures/llama2_mha_untied_f32_sharded
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_error NEEDLE CMD...: CMD must exit 1 and print NEEDLE on stderr.
expect_error() {
  local needle=$1; shift
  local rc=0
  "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [ "$rc" -eq 1 ] || fail "expected exit 1 from '$*', got $rc: $(cat "$tmp/err")"
  grep -qF -- "$needle" "$tmp/err" || fail "'$*' did not say '$needle': $(cat "$tmp/err")"
}

for c in "decompose" "expert init" "expert show" "mixture make" "mixture show"; do
  $t2 $c --help >"$tmp/help" || fail "$c --help"
  grep -q "usage: t2 $c" "$tmp/help" || fail "$c --help has no usage line"
done

$t2 decompose --model $model --out "$tmp/svd.h5" --matrices mlp --quiet >"$tmp/out"
grep -q "decomposed 6 matrices (0 already in the store)" "$tmp/out" || fail "decompose: $(cat "$tmp/out")"
$t2 decompose --model $model --out "$tmp/svd.h5" --matrices all --quiet >"$tmp/out"
grep -q "decomposed 8 matrices (6 already in the store)" "$tmp/out" || fail "resume: $(cat "$tmp/out")"

$t2 expert init --svd "$tmp/svd.h5" --out "$tmp/u.h5" --matrices mlp >/dev/null
$t2 expert init --svd "$tmp/svd.h5" --out "$tmp/r.h5" --random-seed 5 --std 0.5 --task math >/dev/null
$t2 expert show "$tmp/r.h5" --svd "$tmp/svd.h5" >"$tmp/show"
grep -q "task             math" "$tmp/show" || fail "show task"
grep -q "14 matrices, 768 parameters" "$tmp/show" || fail "show size: $(cat "$tmp/show")"
grep -q "model.layers.1.mlp.down_proj.weight" "$tmp/show" || fail "show rows"
$t2 expert show "$tmp/u.h5" >"$tmp/show"
grep -q "6 matrices, 384 parameters" "$tmp/show" || fail "uniform size: $(cat "$tmp/show")"
grep -q "0.5250   0.5250" "$tmp/show" || fail "uniform z = sigmoid(0.1): $(cat "$tmp/show")"

expect_error "adapt different matrices" $t2 mixture make --experts u="$tmp/u.h5",r="$tmp/r.h5" \
  --alpha 0.25,0.75 --normalise --out "$tmp/mix.h5"
$t2 expert init --svd "$tmp/svd.h5" --out "$tmp/r2.h5" --random-seed 6 --task code >/dev/null
echo '{"model.layers.0.mlp.up_proj.weight": [1.0, 0.0]}' >"$tmp/per_layer.json"
$t2 mixture make --experts math="$tmp/r.h5",code="$tmp/r2.h5" --alpha 0.25,0.75 \
  --per-layer "$tmp/per_layer.json" --out "$tmp/mix.h5" >/dev/null
$t2 mixture show "$tmp/mix.h5" >"$tmp/show"
grep -Eq "^math +0.25 " "$tmp/show" || fail "mixture show: $(cat "$tmp/show")"
grep -q "model.layers.0.mlp.up_proj.weight" "$tmp/show" || fail "mixture per-layer"

# t2 logprobs with an expert: uniform z equals the base model (dense and factored); a random
# expert differs from the base, and dense equals factored.
python3 - "$model" >"$tmp/ids.jsonl" <<'PY'
import json, sys
for s in json.load(open(sys.argv[1] + "/expected.json"))["sequences"]:
    print(json.dumps({"ids": s["ids"]}))
PY
$t2 logprobs --model $model --input "$tmp/ids.jsonl" >"$tmp/base.jsonl"
$t2 logprobs --model $model --input "$tmp/ids.jsonl" --svd "$tmp/svd.h5" --expert "$tmp/u.h5" >"$tmp/u_dense.jsonl"
$t2 logprobs --model $model --input "$tmp/ids.jsonl" --svd "$tmp/svd.h5" --expert "$tmp/u.h5" --svf-apply factored >"$tmp/u_fact.jsonl"
$t2 logprobs --model $model --input "$tmp/ids.jsonl" --svd "$tmp/svd.h5" --expert "$tmp/r.h5" >"$tmp/r_dense.jsonl"
$t2 logprobs --model $model --input "$tmp/ids.jsonl" --svd "$tmp/svd.h5" --expert "$tmp/r.h5" --svf-apply factored >"$tmp/r_fact.jsonl"
maxdiff() {
  python3 - "$1" "$2" <<'PY'
import json, sys
a = [json.loads(l)["logprobs"] for l in open(sys.argv[1])]
b = [json.loads(l)["logprobs"] for l in open(sys.argv[2])]
assert len(a) == len(b) and all(len(x) == len(y) for x, y in zip(a, b))
print(max(abs(p - q) for x, y in zip(a, b) for p, q in zip(x, y)))
PY
}
# Fast kernels: the engine's f32 path agrees with itself to ~1e-5; tolerance 1e-4.
awk -v d="$(maxdiff "$tmp/base.jsonl" "$tmp/u_dense.jsonl")" 'BEGIN { exit !(d < 1e-4) }' || fail "uniform dense vs base"
awk -v d="$(maxdiff "$tmp/base.jsonl" "$tmp/u_fact.jsonl")" 'BEGIN { exit !(d < 1e-4) }' || fail "uniform factored vs base"
awk -v d="$(maxdiff "$tmp/r_dense.jsonl" "$tmp/r_fact.jsonl")" 'BEGIN { exit !(d < 1e-4) }' || fail "dense vs factored"
awk -v d="$(maxdiff "$tmp/base.jsonl" "$tmp/r_dense.jsonl")" 'BEGIN { exit !(d > 1e-3) }' || fail "random expert had no effect"
# t2 generate: greedy continuation with a uniform expert equals the base model's.
ids=$(python3 -c "import json; print(','.join(map(str, json.load(open('$model/expected.json'))['sequences'][0]['ids'])))")
$t2 generate --model $model --ids "$ids" --max-new-tokens 8 --no-eos >"$tmp/g_base.json"
$t2 generate --model $model --ids "$ids" --max-new-tokens 8 --no-eos --svd "$tmp/svd.h5" --expert "$tmp/u.h5" >"$tmp/g_u.json"
gen_ids() { python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['ids'])" "$1"; }
[ "$(gen_ids "$tmp/g_base.json")" = "$(gen_ids "$tmp/g_u.json")" ] || fail "generate with a uniform expert differs: $(cat "$tmp/g_base.json" "$tmp/g_u.json")"
expect_error "need --svd" $t2 logprobs --model $model --input "$tmp/ids.jsonl" --expert "$tmp/u.h5"
expect_error "different base models" $t2 logprobs --model $other --input "$tmp/ids.jsonl" --svd "$tmp/svd.h5" --expert "$tmp/u.h5"

# Errors.
expect_error "different base models" $t2 decompose --model $other --out "$tmp/svd.h5" --quiet
expect_error "all 0" $t2 mixture make --experts a="$tmp/r.h5",b="$tmp/r2.h5" --alpha 0,0 --out "$tmp/z.h5"
expect_error "not a number" $t2 mixture make --experts a="$tmp/r.h5" --alpha x --out "$tmp/z.h5"
expect_error "1 weights for 2 experts" $t2 mixture make --experts a="$tmp/r.h5",b="$tmp/r2.h5" --alpha 1 --out "$tmp/z.h5"
expect_error "either --value or --random-seed" $t2 expert init --svd "$tmp/svd.h5" --out "$tmp/x.h5" --value 0.2 --random-seed 1
expect_error "not an SVD store" $t2 expert init --svd "$tmp/u.h5" --out "$tmp/x.h5"
head -c 3000 "$tmp/r.h5" >"$tmp/cut.h5"
expect_error "cut.h5" $t2 expert show "$tmp/cut.h5"
$t2 decompose --model $other --out "$tmp/other.h5" --quiet >/dev/null
expect_error "different base models" $t2 expert show "$tmp/r.h5" --svd "$tmp/other.h5"
expect_error "unknown subcommand 'frobnicate'" $t2 expert frobnicate
echo "svf cli: all checks passed"
