#!/usr/bin/env bash
# Configures and builds pact with CMake (warnings are errors).
# Usage: deploy/build.sh [BUILD_DIR] [extra cmake -D options...]
# Environment: PACT_BUILD_TYPE (default RelWithDebInfo), PACT_JOBS (default
# the number of cores).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
jobs=${PACT_JOBS:-$(nproc)}
# Compile with paths relative to the checkout so that ccache hits across
# clones (CI builds a fresh clone every time).
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
cmake -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE="${PACT_BUILD_TYPE:-RelWithDebInfo}" \
  -DPACT_WERROR=ON "$@" >/dev/null
cmake --build "$build" -j "$jobs"
