#pragma once

/// Sends a node command (agent_atoms.hpp node_command_atom) to the journal
/// link that runs now: the child `link_name` of the agent's `supervisor`
/// (each of its incarnations), so that a record outlives a restart of the
/// link. When no link answers, logs "WHAT not recorded: …" at warn and
/// drops it: the link's own outbox is what keeps records across journal
/// outages, not the senders.

#include <string>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

namespace pact::agent {

void send_to_link(caf::event_based_actor* self, const caf::actor& supervisor,
                  const std::string& link_name, std::string command,
                  const std::string& what);

} // namespace pact::agent
