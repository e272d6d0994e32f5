# Shared set-up of the image-task scripts (sourced): T2 and MAKE_MODEL from the arguments, a scratch
# folder W removed on exit, the tiny random LLaVA-NeXT checkpoint (tests/adapt/tiny_llava.h) in
# $W/llava, its SVD store $W/svd.h5, and the mini VQA suite (t2 mini-suite) in $W/suite.
set -euo pipefail
T2=$(realpath "$1")
MAKE_MODEL=$(realpath "$2")
W=$(mktemp -d /tmp/t2_vqa_test.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$MAKE_MODEL" "$W/llava" --llava
"$T2" mini-suite --out "$W/suite" --gsm8k-train 0 --gsm8k-test 3 --math-test 0 --mbpp 0 \
  --humaneval 0 --arc-easy-train 0 --arc-easy-test 0 --arc-challenge-test 0 \
  --textvqa-train 8 --textvqa-val 6 --okvqa-val 6 2> /dev/null
"$T2" decompose --model "$W/llava" --out "$W/svd.h5" --quiet > /dev/null 2>&1
TEXTVQA_TRAIN=$W/suite/textvqa/TextVQA_0.5.1_train.json
TEXTVQA_VAL=$W/suite/textvqa/TextVQA_0.5.1_val.json
OKVQA_VAL=$W/suite/okvqa/OpenEnded_mscoco_val2014_questions.json
# Both image tasks, short answers, two samples per work unit (so -np 3 has units to share).
VQA_ARGS=(--model "$W/llava" --task textvqa --data "$TEXTVQA_VAL" --task okvqa --data "$OKVQA_VAL"
          --max-new-tokens 8 --batch 2)
# Per-sample records without the report name and timings, sorted: what runs must agree on.
samples() { "$T2" report --samples "$1" | tail -n +2 | cut -f2- | sort; }
