#!/usr/bin/env bash
# Formats every C++ file of ours in place with Debian's clang-format-14 and
# the repository's .clang-format (the `format` test checks the same set).
set -euo pipefail
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-clang-format-14}
find protocol runtime actors cli mcp tests \
  \( -name node_modules -o -name build -o -name 'build-*' \) -prune -o \
  \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -type f -print0 \
  | xargs -0 -r "$cf" --style=file -i
