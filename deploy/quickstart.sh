#!/usr/bin/env bash
# Quick start: installs what is missing, builds, starts a local
# single-replica journal (development mode, embedded state under .state/)
# and a local agent, and shows `pact status`.
#   deploy/quickstart.sh         start (or restart) and show status
#   deploy/quickstart.sh stop    stop the local journal and agent
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state=$root/.state
bin=$root/build/bin

stop() {
  for d in agent journal; do
    if [ -f "$state/$d.pid" ]; then
      pid=$(cat "$state/$d.pid")
      kill "$pid" 2>/dev/null && while kill -0 "$pid" 2>/dev/null; do
        sleep 0.1
      done
      rm -f "$state/$d.pid"
    fi
  done
}

if [ "${1:-}" = stop ]; then
  stop
  echo "stopped"
  exit 0
fi

"$root/deploy/install-deps.sh" build
# Only the programs the quick start runs (and pact-mcp, for trying the MCP
# server next); deploy/test.sh builds the tests into the same build/.
"$root/deploy/build.sh" "$root/build" \
  --target pact --target pact-journal --target pact-agent --target pact-mcp
stop
mkdir -p "$state/root"

# Everything over TLS: --dev makes a development CA and a certificate for
# this host in .state/journal/dev/ (docs/security.md).
"$bin/pact-journal" --dev --data-dir "$state/journal" \
  --listen https://127.0.0.1:9443 --raft-listen https://127.0.0.1:9444 \
  --metrics-listen 127.0.0.1:9091 >"$state/journal.log" 2>&1 &
echo $! >"$state/journal.pid"

wait_file() {
  for _ in $(seq 1 150); do
    [ -f "$1" ] && grep -q "\"pid\": $2" "$1" && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "quickstart: $3 did not start; see $4" >&2
  tail -5 "$4" >&2
  exit 1
}
wait_file "$state/journal/endpoints.json" "$(cat "$state/journal.pid")" \
  pact-journal "$state/journal.log"

dev=$state/journal/dev
# The CLI's settings: the https endpoint and the CA bundle. Written to
# ~/.config/pact/cli.toml unless that file exists and is not ours.
cli_toml=$HOME/.config/pact/cli.toml
marker="# written by pact's deploy/quickstart.sh"
if [ ! -f "$cli_toml" ] || head -1 "$cli_toml" | grep -qF "$marker"; then
  mkdir -p "$(dirname "$cli_toml")"
  printf '%s\nendpoint = ["https://127.0.0.1:9443"]\nca_bundle = "%s"\n' \
    "$marker" "$dev/ca.crt" >"$cli_toml"
  cli_note="wrote $cli_toml (https endpoint, CA bundle)"
else
  cli_note="$cli_toml exists; set PACT_ENDPOINT=https://127.0.0.1:9443 PACT_CA_BUNDLE=$dev/ca.crt"
fi
export PACT_ENDPOINT=https://127.0.0.1:9443 PACT_CA_BUNDLE=$dev/ca.crt
export PACT_TOKEN
PACT_TOKEN=$(cat "$dev/admin.token")
node=$(hostname)
# Wait for the replica to lead, then declare the dev vCluster and enroll
# this host's node: its agent gets a certificate with the one-time token.
# The agent's --root is .state/root, which has no /sys to read a hardware
# identity from, so the quick start names one.
for _ in $(seq 1 100); do
  "$bin/pact" status --output json 2>/dev/null | grep -q '"role": "leader"' \
    && break
  sleep 0.1
done
printf '[vcluster.dev.sysctl]\n"vm.swappiness" = "60"\n' >"$state/dev.toml"
"$bin/pact" apply "$state/dev.toml" -m "quick start: the dev vCluster" \
  >/dev/null
mkdir -p "$state/agent"
"$bin/pact" enroll "$node" --vcluster dev --output json \
  | sed -n 's/.*"enroll_token": "\(.*\)".*/\1/p' >"$state/agent/enroll.token"
cat >"$state/agent.toml" <<TOML
[agent.journal]
tls_ca = "$dev/ca.crt"
[agent.tls]
cert = "$state/agent/tls/agent.crt"
key = "$state/agent/tls/agent.key"
TOML

PACT_OIDC_HMAC_SECRET=$(cat "$dev/hmac-secret") \
  "$bin/pact-agent" --config "$state/agent.toml" --node-id "$node" \
  --vcluster dev --journal https://127.0.0.1:9443 \
  --listen https://127.0.0.1:9445 \
  --enroll-token-file "$state/agent/enroll.token" \
  --hardware-id "quickstart:$node" \
  --token-file "$dev/node.token" \
  --root "$state/root" --state-dir "$state/agent" >"$state/agent.log" 2>&1 &
echo $! >"$state/agent.pid"
wait_file "$state/agent/endpoints.json" "$(cat "$state/agent.pid")" \
  pact-agent "$state/agent.log"

# Wait for the agent's first report, so that the status shows both trees.
for _ in $(seq 1 100); do
  "$bin/pact" status "$node" --output json 2>/dev/null \
    | grep -q '"last_seen_age_ms"' && break
  sleep 0.1
done
"$bin/pact" status
cat <<MSG

pact is running over TLS (logs and state in .state/; $cli_note). Try:
  export PACT_TOKEN=\$(cat .state/journal/dev/admin.token)
  build/bin/pact status --output json
  build/bin/pact enroll status $node
  deploy/quickstart.sh stop
MSG
