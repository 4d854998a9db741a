#!/usr/bin/env bash
# Configures and builds pact with CMake (warnings are errors).
# Usage: deploy/build.sh [BUILD_DIR] [extra cmake -D options...]
#                        [--target NAME]...
# Without --target everything is built (tests included); with it, only the
# named targets and what they need (deploy/quickstart.sh builds the four
# programs it runs).
# Environment: PACT_BUILD_TYPE (default RelWithDebInfo), PACT_JOBS (default
# the number of cores).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
jobs=${PACT_JOBS:-$(nproc)}
cmake_args=()
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --target)
      [ $# -ge 2 ] || { echo "build.sh: --target needs a name" >&2; exit 1; }
      targets+=("$2")
      shift 2
      ;;
    *)
      cmake_args+=("$1")
      shift
      ;;
  esac
done
# Compile with paths relative to the checkout so that ccache hits across
# clones (CI builds a fresh clone every time).
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
cmake -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE="${PACT_BUILD_TYPE:-RelWithDebInfo}" \
  -DPACT_WERROR=ON "${cmake_args[@]}" >/dev/null
if [ ${#targets[@]} -gt 0 ]; then
  cmake --build "$build" -j "$jobs" --target "${targets[@]}"
else
  cmake --build "$build" -j "$jobs"
fi
