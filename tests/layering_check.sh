#!/usr/bin/env bash
# Enforces the dependency direction of DESIGN.md §2:
#   protocol -> runtime -> actors -> cli/mcp.
# Nothing under runtime/ may include CAF; nothing under runtime/ or actors/
# may include cli/ or mcp/ code; protocol/*.proto never imports runtime;
# inside runtime/, raft <- store <- replica <- journal.
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
# Inside runtime/: raft <- store <- replica <- journal. The replica host
# (runtime/replica) is shared by pact-journal and the simulator, so it knows
# no particular state machine.
if grep -rnE '#include *[<"]runtime/(replica|journal)/' "$root/runtime/raft" \
     "$root/runtime/store"; then
  echo "layering: runtime/raft and runtime/store must not include runtime/replica or runtime/journal"
  fail=1
fi
if grep -rnE '#include *[<"]runtime/journal/' "$root/runtime/replica"; then
  echo "layering: runtime/replica must not include runtime/journal"
  fail=1
fi
# The journal's state machine authorizes commands at apply time, so it sits
# above runtime/policy; policy must not reach back into the journal.
if grep -rnE '#include *[<"]runtime/(replica|journal)/' "$root/runtime/policy"; then
  echo "layering: runtime/policy must not include runtime/replica or runtime/journal"
  fail=1
fi
# gRPC and the lattice schema live only in the pact-lattice module, which
# the programs load on demand (runtime/delegation/lattice_module.hpp):
# nothing else includes them, so no program links gRPC.
if grep -rnE '#include *[<"](grpcpp/|grpc/|lattice/v1/|google/protobuf/util/)' \
     "$root/runtime" "$root/actors" "$root/cli" "$root/mcp" \
   | grep -vE '/runtime/delegation/lattice_(module|json)\.(c|h)pp:'; then
  echo "layering: only runtime/delegation/lattice_module and lattice_json may include gRPC or the lattice schema"
  fail=1
fi
[ "$fail" = 0 ] && echo "layering: ok"
exit "$fail"
