#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing, builds, installs the MCP test client, and runs every test (unit,
# simulation, end-to-end) through CTest.
# Usage: deploy/test.sh [--sanitize]   (ASan+UBSan build in build-asan/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
extra=()
if [ "${1:-}" = "--sanitize" ]; then
  build=$root/build-asan
  extra=(-DPACT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$root/tests/ubsan.supp"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
fi

"$root/deploy/install-deps.sh" test
"$root/deploy/build.sh" "$build" "${extra[@]}"

# The official MCP TypeScript SDK client, the MCP Inspector's CLI and ajv,
# used by tests/e2e/test_mcp*.py (installed again when one is missing).
mcp=$root/tests/e2e/mcp
if [ ! -d "$mcp/node_modules/@modelcontextprotocol/sdk" ] \
   || [ ! -d "$mcp/node_modules/@modelcontextprotocol/inspector-cli" ] \
   || [ ! -d "$mcp/node_modules/ajv" ]; then
  (cd "$mcp" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The OpenID Connect provider (oidc-provider) of tests/e2e/test_login.py.
oidc=$root/tests/e2e/oidc
if [ ! -d "$oidc/node_modules/oidc-provider" ]; then
  (cd "$oidc" && npm ci --no-audit --no-fund --loglevel=error)
fi

cd "$build"
ctest --output-on-failure -j "${PACT_TEST_JOBS:-2}"
