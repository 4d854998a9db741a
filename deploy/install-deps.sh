#!/usr/bin/env bash
# Installs the Debian packages pact needs (deploy/packages.txt) when they are
# missing. Idempotent: when everything is present it changes nothing and
# does not touch the network; `apt-get update` runs only when something must
# be installed. Usage: deploy/install-deps.sh [build|test|bench]   (default:
# test, which includes build; bench includes both)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
want=${1:-test}

sections=(build)
case "$want" in
  build) ;;
  test) sections+=(test) ;;
  bench) sections+=(test bench) ;;
  *) echo "install-deps: unknown set '$want' (build, test or bench)" >&2
     exit 1 ;;
esac

packages=()
section=""
while IFS= read -r line; do
  line=${line%%#*}
  line=$(echo "$line" | tr -d '[:space:]')
  [ -z "$line" ] && continue
  if [[ $line =~ ^\[(.*)\]$ ]]; then
    section=${BASH_REMATCH[1]}
    continue
  fi
  for s in "${sections[@]}"; do
    [ "$s" = "$section" ] && packages+=("$line")
  done
done < "$here/packages.txt"

node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || return 1
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [ "$major" -ge 18 ]
}

missing=()
for p in "${packages[@]}"; do
  if [ "$p" = nodejs ] || [ "$p" = npm ]; then
    node_ok && continue
  fi
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || {
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
