#pragma once

/// Sends a node command (agent_atoms.hpp node_command_atom) to the journal
/// link that runs now: the child `link_name` of the agent's `supervisor`
/// (each of its incarnations), so that a record outlives a restart of the
/// link. When no link answers, logs "WHAT not recorded: …" at warn and
/// drops it: the link's own outbox is what keeps records across journal
/// outages, not the senders.

#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

namespace pact::agent {

void send_to_link(caf::event_based_actor* self, const caf::actor& supervisor,
                  const std::string& link_name, std::string command,
                  const std::string& what);

/// Hands `command` (a serialized JournalCommand RECORD) to `link`, which
/// keeps it in its durable outbox until the journal accepted it, and calls
/// `then(kept)` once the link has it (a request, so that an audit record
/// written before something runs is kept before it starts). A null `then`
/// sends and forgets. A null link: logged at error, `then(false)`.
void keep_record(caf::event_based_actor* self, const caf::actor& link,
                 const std::string& command,
                 const std::function<void(bool kept)>& then = {});

/// What remote operations decide with: the journal link that runs now and
/// the node's declared state as it booted (journal or boot cache, so it
/// answers with the journal unreachable).
using declared_fn
  = std::function<void(const caf::actor& link, const std::string& overlay,
                       const std::string& node_delta)>;

/// Asks `supervisor` for its child `link_name` and the link for the
/// declared state; `unavailable(why)` when either is missing or silent
/// ("the agent's journal link is restarting", ...).
void with_declared_state(caf::event_based_actor* self,
                         const caf::actor& supervisor,
                         const std::string& link_name, declared_fn then,
                         std::function<void(const std::string&)> unavailable);

} // namespace pact::agent
