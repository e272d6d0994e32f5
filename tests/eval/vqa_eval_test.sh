#!/usr/bin/env bash
# Image tasks through the whole pipeline on the tiny LLaVA-NeXT checkpoint and the mini VQA suite,
# one process (label unit):
#   errors     an image task on a text-only checkpoint and --images with a text task are refused
#              before any model is loaded; a missing picture and an unreadable one become error
#              rows naming the file and the image folder while the other samples run
#   eval       textvqa + okvqa base run: every sample ok, vision_s > 0 in the summary; gsm8k on
#              the same checkpoint runs on its language model (vision_s 0)
#   svf        decompose / expert init see only the language model's matrices (14 with --matrices
#              all: 2 layers x 7; the vision tower's 32-wide projections are not among them); the
#              identity expert (p = 0.1 everywhere) reproduces the base report
#   train      3 REINFORCE iterations on textvqa (large learning rate) give an expert whose
#              answers differ from the base model's
#   search     CEM over two experts on okvqa runs to its mixture file, which then evaluates
# Usage: vqa_eval_test.sh T2 MAKE_TINY_MODEL   (run from the repository root)
source "$(dirname "$0")/vqa_common.sh"

# errors: refused configurations (nothing loaded, one message).
"$MAKE_MODEL" "$W/text"
if "$T2" eval --model "$W/text" --task textvqa --data "$TEXTVQA_VAL" --out "$W/x.h5" > "$W/err" 2>&1; then
  fail "an image task on a text-only checkpoint ran"
fi
grep -q "asks questions about images, but --model .* is a text-only checkpoint (model_type llama)" "$W/err" \
  || fail "text-only checkpoint: unclear message: $(cat "$W/err")"
if "$T2" eval --model "$W/llava" --task gsm8k --data "$W/suite/gsm8k/test.jsonl" \
     --images "$W/suite/textvqa/train_images" --out "$W/x.h5" > "$W/err" 2>&1; then
  fail "--images with a text task ran"
fi
grep -q -- "--images .* is for the image tasks (textvqa, okvqa); gsm8k has no images" "$W/err" \
  || fail "--images on a text task: unclear message: $(cat "$W/err")"
echo "ok: errors (text-only checkpoint, --images on a text task)"

# errors: a missing and an unreadable picture, in a copy of the val set's pictures.
cp -r "$W/suite/textvqa/train_images" "$W/pics"
mapfile -t pics < <(grep -o '"image_id": *"[^"]*"' "$TEXTVQA_VAL" | sed 's/.*"\([^"]*\)"$/\1.png/')
[ "${#pics[@]}" -ge 3 ] || fail "could not read the val set's image ids"
rm "$W/pics/${pics[0]}"
echo "not a picture" > "$W/pics/${pics[1]}"
"$T2" eval --model "$W/llava" --task textvqa --data "$TEXTVQA_VAL" --images "$W/pics" \
  --max-new-tokens 4 --out "$W/broken.h5" > /dev/null 2>&1 || fail "eval with broken pictures failed"
rows=$("$T2" report --samples "$W/broken.h5")
echo "$rows" | grep -F "bad record" | grep -qF "image '${pics[0]%.png}' (.jpg/.jpeg/.png) not found in $W/pics" \
  || fail "missing picture: no error row naming it and its folder: $rows"
echo "$rows" | grep -F "image: $W/pics/${pics[1]}: not a PNG or JPEG image" | grep -qF "(image folder $W/pics)" \
  || fail "unreadable picture: no error row naming it and its folder: $rows"
n_ok=$(echo "$rows" | awk -F'\t' '$8 == "\"ok\""' | wc -l)
[ "$n_ok" -ge 1 ] || fail "the intact pictures did not run: $rows"
echo "ok: errors (missing and unreadable pictures are error rows; $n_ok others ran)"

# eval: base on both image tasks.
"$T2" eval "${VQA_ARGS[@]}" --out "$W/base.h5" > /dev/null 2>&1 || fail "base eval failed"
[ "$(samples "$W/base.h5" | awk -F'\t' '$7 == "\"ok\""' | wc -l)" -eq 12 ] \
  || fail "not every image sample ran: $(samples "$W/base.h5")"
"$T2" report --csv "$W/base.h5" > "$W/table.csv"
col=$(head -1 "$W/table.csv" | tr ',' '\n' | grep -n '^vision_s$' | cut -d: -f1)
[ -n "$col" ] || fail "t2 report has no vision_s column: $(head -1 "$W/table.csv")"
awk -F, -v c="$col" 'NR > 1 && !($c > 0) { bad = 1 } END { exit bad }' "$W/table.csv" \
  || fail "vision_s is not positive: $(cat "$W/table.csv")"
echo "ok: eval (12 image questions, vision_s in the report)"

# A text task on the LLaVA checkpoint runs on its language model alone (no vision pass).
"$T2" eval --model "$W/llava" --task gsm8k --data "$W/suite/gsm8k/test.jsonl" --max-new-tokens 4 \
  --out "$W/text.h5" > /dev/null 2>&1 || fail "gsm8k on the LLaVA checkpoint failed"
[ "$(samples "$W/text.h5" | awk -F'\t' '$7 == "\"ok\""' | wc -l)" -eq 3 ] \
  || fail "gsm8k on the LLaVA checkpoint: not every sample ran: $(samples "$W/text.h5")"
"$T2" report --csv "$W/text.h5" | awk -F, -v c="$col" 'NR > 1 && $c != "0.000" { bad = 1 } END { exit bad }' \
  || fail "a text task reports vision time: $("$T2" report --csv "$W/text.h5")"
echo "ok: text task on the LLaVA checkpoint (language model only)"

# svf: only language-model matrices; the identity expert is the base model.
"$T2" decompose --model "$W/llava" --out "$W/svd_all.h5" --matrices all --quiet > /dev/null 2>&1
"$T2" expert init --svd "$W/svd_all.h5" --out "$W/all.h5" > /dev/null
"$T2" expert show "$W/all.h5" | grep -E '^model\.|^vision|^multi|^language' > "$W/names"
[ "$(wc -l < "$W/names")" -eq 14 ] && ! grep -qv '^model\.layers\.[01]\.' "$W/names" \
  && ! awk '{ print $2 }' "$W/names" | grep -q '^32$' \
  || fail "the store is not the language model's 14 matrices: $(cat "$W/names")"
"$T2" expert init --svd "$W/svd.h5" --out "$W/identity.h5" --value 0.1 > /dev/null
"$T2" eval "${VQA_ARGS[@]}" --svd "$W/svd.h5" --expert "$W/identity.h5" --out "$W/identity_run.h5" \
  > /dev/null 2>&1 || fail "identity expert eval failed"
diff <(samples "$W/base.h5" | cut -f1-4,6-) <(samples "$W/identity_run.h5" | cut -f1-4,6-) \
  || fail "the identity expert changed the answers"
echo "ok: svf (language-model matrices only; identity expert = base)"

# train: a few REINFORCE iterations move the answers away from the base model's.
"$T2" train --model "$W/llava" --svd "$W/svd.h5" --task textvqa --data "$TEXTVQA_TRAIN" \
  --test-data "$TEXTVQA_VAL" --out "$W/trained.h5" --iters 3 --batch 4 --micro-batch 2 \
  --max-new-tokens 6 --lr 0.5 --max-grad-norm 0 --test-interval 3 > "$W/train.log" 2>&1 \
  || { cat "$W/train.log"; fail "train on textvqa failed"; }
"$T2" eval "${VQA_ARGS[@]}" --svd "$W/svd.h5" --expert "$W/trained.latest.h5" --out "$W/trained_run.h5" \
  > /dev/null 2>&1 || fail "eval of the trained expert failed"
[ "$(samples "$W/trained_run.h5" | awk -F'\t' '$7 == "\"ok\""' | wc -l)" -eq 12 ] \
  || fail "trained expert: not every sample ran"
changed=$(diff <(samples "$W/base.h5" | cut -f1,2,10) <(samples "$W/trained_run.h5" | cut -f1,2,10) | grep -c '^>' || true)
[ "$changed" -ge 1 ] || fail "the trained expert answers exactly as the base model"
echo "ok: train (3 iterations; $changed of 12 answers changed)"

# search: CEM over the trained and a random expert on okvqa.
"$T2" expert init --svd "$W/svd.h5" --out "$W/wild.h5" --random-seed 3 --std 4 > /dev/null
"$T2" search --model "$W/llava" --svd "$W/svd.h5" --experts "a=$W/trained.latest.h5,b=$W/wild.h5" \
  --task okvqa --data "$OKVQA_VAL" --seed 1 --shots 3 --pop 10 --generations 2 --max-new-tokens 4 \
  --out "$W/mix.h5" > "$W/search.log" 2>&1 || { cat "$W/search.log"; fail "search on okvqa failed"; }
[ -s "$W/mix.h5" ] || fail "search wrote no mixture"
"$T2" eval "${VQA_ARGS[@]}" --svd "$W/svd.h5" --mixture "$W/mix.h5" --out "$W/mix_run.h5" \
  > /dev/null 2>&1 || fail "eval of the searched mixture failed"
[ "$(samples "$W/mix_run.h5" | awk -F'\t' '$7 == "\"ok\"" && $5 == "mixture:mix"' | wc -l)" -eq 12 ] \
  || fail "mixture eval: not every sample ran under the mixture: $(samples "$W/mix_run.h5")"
echo "ok: search (CEM on okvqa; its mixture evaluated)"
