#pragma once

/// The drift watcher's side of the operator's loop (issue 11 item 3;
/// docs/drift.md "Committing drift", "Rolling a node back"): `pact commit`
/// of the node's drift and `pact rollback` of a node entry. The checks and
/// plans are the pure cores runtime/node/drift_commit.hpp and
/// node_restore.hpp; here they meet the journal link (the operator's
/// request is proposed on the link's connection with the operator's token,
/// operator_call_atom) and the drift state shared across restarts.
///
/// Both answer the watcher's caller with a serialized pact.protocol.Response
/// (agent_atoms.hpp): refusals before anything is written carry the exit
/// code's status (CONFLICT 4, ROLLBACK_BLOCKED 10, INVALID_ARGUMENT 1);
/// the journal's own answer is passed through.

#include <string>

#include <caf/event_based_actor.hpp>

#include "actors/agent/drift_watcher.hpp"

namespace pact::agent {

/// (drift_commit_atom, request, token), after the watcher polled.
void commit_drift(caf::event_based_actor* self, const drift_watcher_config& cfg,
                  const std::string& request, const std::string& token);

/// (node_rollback_atom, request, token), after the watcher polled.
void rollback_node(caf::event_based_actor* self,
                   const drift_watcher_config& cfg, const std::string& request,
                   const std::string& token);

} // namespace pact::agent
