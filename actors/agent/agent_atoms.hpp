#pragma once

/// Messages between the agent's own actors (never sent across processes).
///
/// The seam between the node-plane actors (drift watcher, commit window, GPU
/// poller, later services and exec) and the journal link: an actor that wants
/// something recorded in the journal for this node sends
///   (node_command_atom, std::string command)
/// to the journal link, where `command` is a serialized
/// pact.protocol.JournalCommand whose scope is this node (DRIFT_DETECTED,
/// AUTO_CONVERGE, RECORD with record_type "capability-change", …). The link
/// proposes it through the gateway with the node's credential, keeps it
/// queued (bounded, oldest dropped with a warning) while no replica is
/// reachable, and logs a refusal; senders never wait for the journal.

#include <caf/atom.hpp>

namespace pact::agent {

using node_command_atom = caf::atom_constant<caf::atom("nodecmd")>;

} // namespace pact::agent
