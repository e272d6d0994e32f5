#!/usr/bin/env bash
# Sets up (packages + Release build) and runs the default test suite: every ctest label except
# the slow and GPU ones. Usage: scripts/test.sh [extra ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ctest --test-dir "${T2_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" -LE "slow|cuda|model|slurm" "$@"
