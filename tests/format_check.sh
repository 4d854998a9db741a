#!/usr/bin/env bash
# Fails on any C++ file of ours that clang-format would change, so that the
# tree keeps the house style `.clang-format` describes. Pinned to Debian's
# clang-format-14: formatters of other versions disagree on details, and
# every machine must format alike (issue 9 item 7).
#
# Fix a failure with:  deploy/format.sh        (formats the whole tree)
set -euo pipefail
root=${1:-.}
cf=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$cf" >/dev/null; then
  echo "format: $cf not found; install Debian's clang-format-14 " \
       "(deploy/install-deps.sh test)"
  exit 1
fi
cd "$root"
mapfile -t files < <(find protocol runtime actors cli mcp tests \
  \( -name node_modules -o -name build -o -name 'build-*' \) -prune -o \
  \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -type f -print | sort)
bad=()
for f in "${files[@]}"; do
  if ! "$cf" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done
if [ "${#bad[@]}" -gt 0 ]; then
  printf 'format: not formatted: %s\n' "${bad[@]}"
  echo "format: ${#bad[@]} of ${#files[@]} files differ from .clang-format;" \
       "run deploy/format.sh"
  exit 1
fi
echo "format: ok (${#files[@]} files)"
