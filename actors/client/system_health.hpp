#pragma once

/// What `pact health` and pact-mcp's pact_system_health report, and what
/// `pact cluster` and pact_cluster_health show (docs/cli.md "Delegated to
/// lattice", docs/mcp.md): judged here once, so that the two front ends
/// never disagree on what is up. CAF-free: the callers ask the journal
/// (each through its own session) and pass its answer in; lattice is
/// asked here through runtime/delegation (blocking, the settings' 5 s
/// deadline per call).
///
/// Where the front ends differ, the difference stays in them: pact-mcp
/// fails every lattice tool, these included, when lattice is not
/// configured, whereas `pact health` shows it as a "down" component and
/// still checks the journal and the agents; pact_cluster_health fails
/// when either quorum cannot be asked, whereas `pact cluster` shows the
/// other and says why in the missing one's section.

#include <cstdint>

#include <nlohmann/json.hpp>

#include "runtime/common/error.hpp"
#include "runtime/delegation/lattice_client.hpp"
#include "runtime/render/status_view.hpp"

namespace pact::client {

/// An agent not heard from for this long counts as stale: six missed
/// reports at the agents' default report_interval of 10 s
/// (actors/agent/journal_link.hpp).
constexpr int64_t agent_stale_ms = 60'000;

/// {"components": [{"name","status","detail"}]} for "pact-journal",
/// "lattice" and "agents", in that order; status "up", "degraded" or
/// "down". A component that cannot be asked is "down" with the reason
/// (render::failure_text) as its detail; nothing is assumed for it.
///
/// - pact-journal, from `journal` (the status report of whichever replica
///   answered, or why none did): up when that replica takes writes, knows
///   a leader and is connected to every peer; degraded otherwise.
/// - lattice, with `lattice` (its settings, or why there are none): its
///   liveness (Health) and its quorum's leader (GetRaftStatus); up when it
///   says it is well ("ok", "healthy", "serving") and has a leader; down
///   when Health cannot be asked; degraded otherwise.
/// - agents, from `journal`: up when every agent the journal heard from
///   reported within agent_stale_ms and runs all its actors (running or
///   starting); down when none did, none ever reported, or the journal did
///   not answer; degraded otherwise.
nlohmann::json
system_health(const expected<render::status_view>& journal,
              const expected<delegation::lattice_settings>& lattice);

/// pact's journal quorum: "raft" of render_status_json(v.reply) (node_id,
/// role, term, leader_id, commit_index, applied_index, last_index, voters,
/// learners, digest, failure, peers), {} when the reply has none.
nlohmann::json journal_quorum(const render::status_view& v);

/// Both quorums side by side: {"pact": journal_quorum, "lattice":
/// delegation::lattice_raft}; a part that could not be had is
/// {"error": render::failure_json}.
nlohmann::json cluster_view(const expected<nlohmann::json>& pact,
                            const expected<nlohmann::json>& lattice);

} // namespace pact::client
