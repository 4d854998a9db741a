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

"$bin/pact-journal" --dev --data-dir "$state/journal" \
  --listen 127.0.0.1:9443 --raft-listen 127.0.0.1:9444 \
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

PACT_OIDC_HMAC_SECRET=$(cat "$state/journal/dev/hmac-secret") \
  "$bin/pact-agent" --node-id "$(hostname)" --vcluster dev \
  --journal http://127.0.0.1:9443 --listen 127.0.0.1:9445 \
  --token-file "$state/journal/dev/node.token" \
  --root "$state/root" --state-dir "$state/agent" >"$state/agent.log" 2>&1 &
echo $! >"$state/agent.pid"
wait_file "$state/agent/endpoints.json" "$(cat "$state/agent.pid")" \
  pact-agent "$state/agent.log"

export PACT_TOKEN
PACT_TOKEN=$(cat "$state/journal/dev/admin.token")
# Wait for the replica to lead and the agent's first report, so that the
# status shows both trees.
for _ in $(seq 1 100); do
  "$bin/pact" status "$(hostname)" --output json 2>/dev/null \
    | grep -q '"role": "leader"' && break
  sleep 0.1
done
"$bin/pact" status
cat <<MSG

pact is running (logs and state in .state/). Try:
  export PACT_TOKEN=\$(cat .state/journal/dev/admin.token)
  build/bin/pact status --output json
  deploy/quickstart.sh stop
MSG
