#!/usr/bin/env bash
# Installs the Debian packages t2 needs (when missing) and builds Release into build/.
# Usage: scripts/setup.sh [extra cmake args...]   Environment: T2_BUILD_DIR (default build),
# T2_JOBS (default: number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."

# python3-matplotlib: `t2 plot` and the demo's figures draw with it (src/cli/plot_figures.py).
# ccache: the CUDA variant of scripts/test.sh reuses this build's objects through it.
packages=(build-essential cmake pkg-config git python3 python3-matplotlib ccache
  libopenmpi-dev openmpi-bin libhdf5-dev hdf5-tools libboost-program-options-dev
  libopenblas-dev liblapacke-dev nlohmann-json3-dev libpcre2-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libpng-dev libjpeg62-turbo-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir=${T2_BUILD_DIR:-build}
jobs=${T2_JOBS:-$(nproc)}
# ccache (when installed) with paths relative to the checkout, so that another build folder of the
# same sources (the CUDA variant) hits the same cache entries.
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@"
cmake --build "$build_dir" -j "$jobs"
echo "setup: built $build_dir/t2"
