#!/usr/bin/env bash
# Enforces the dependency direction of DESIGN.md §2:
#   protocol -> runtime -> actors -> cli/mcp.
# Nothing under runtime/ may include CAF; nothing under runtime/ or actors/
# may include cli/ or mcp/ code; protocol/*.proto never imports runtime.
set -euo pipefail
root=${1:-.}
fail=0
if grep -rnE '#include *[<"]caf/' "$root/runtime"; then
  echo "layering: runtime/ must not include CAF headers (see lines above)"
  fail=1
fi
if grep -rnE '#include *[<"](cli|mcp)/' "$root/runtime" "$root/actors" \
     "$root/protocol"; then
  echo "layering: cli/ and mcp/ are leaves; nothing may include them"
  fail=1
fi
if grep -rnE '#include *[<"]actors/' "$root/runtime" "$root/protocol"; then
  echo "layering: runtime/ and protocol/ must not include actors/"
  fail=1
fi
[ "$fail" = 0 ] && echo "layering: ok"
exit "$fail"
