#!/usr/bin/env bash
# Image tasks under MPI: `t2 eval` of the mini VQA suite (TextVQA- and OK-VQA-like) on the tiny
# LLaVA-NeXT checkpoint gives the same per-sample records with one process and with mpirun -np 3
# (coordinator + two workers, each decoding and encoding the images of its units from their paths),
# for the base model and for an SVF expert on the language model.
# Usage: vqa_world_size_test.sh T2 MAKE_TINY_MODEL   (label mpi; run from the repository root)
source "$(dirname "$0")/vqa_common.sh"
command -v mpirun > /dev/null || { echo "SKIP: no mpirun"; exit 77; }
"$T2" expert init --svd "$W/svd.h5" --out "$W/wild.h5" --random-seed 3 --std 4 > /dev/null
for strategy in base expert; do
  extra=()
  [ "$strategy" = expert ] && extra=(--svd "$W/svd.h5" --expert "$W/wild.h5")
  "$T2" eval "${VQA_ARGS[@]}" "${extra[@]}" --out "$W/$strategy.1.h5" > /dev/null 2>&1 \
    || fail "$strategy: one-process eval failed"
  mpirun -np 3 "$T2" eval "${VQA_ARGS[@]}" "${extra[@]}" --out "$W/$strategy.3.h5" > "$W/log" 2>&1 \
    || { cat "$W/log"; fail "$strategy: mpirun -np 3 eval failed"; }
  n=$(samples "$W/$strategy.1.h5" | wc -l)
  [ "$n" -eq 12 ] || fail "$strategy: expected 12 sample rows, found $n"
  samples "$W/$strategy.1.h5" | grep -q '"ok"' || fail "$strategy: no sample ran"
  samples "$W/$strategy.1.h5" | awk -F'\t' '$7 != "\"ok\""' | grep -q . \
    && fail "$strategy: failed samples: $(samples "$W/$strategy.1.h5" | awk -F'\t' '$7 != "\"ok\""')"
  diff <(samples "$W/$strategy.1.h5") <(samples "$W/$strategy.3.h5") \
    || fail "$strategy: per-sample records differ between 1 process and mpirun -np 3"
  echo "ok: $strategy, 12 image questions, np 1 = np 3"
done
