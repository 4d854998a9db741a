#pragma once

/// The audit record of an admin operation on the node (`pact exec`, `pact
/// diag`): an exec-log entry handed to the journal link, which keeps it in
/// its durable outbox until the journal has accepted it (so it survives a
/// journal outage and an agent restart).

#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include <pact/protocol/journal.pb.h>

namespace pact::agent {

/// Hands `rec` (entry message `message`, scope node `node_id`) to `link`
/// (link_command.hpp keep_record). `then`: called once the link holds it,
/// with false when it could not take it in 5 s or there is no link (a
/// request, so that a record written before something runs or is shown is
/// kept before that); null = fire and forget. `what` names the operation
/// in the agent's log ("exec", "diag").
void keep_exec_record(caf::event_based_actor* self, const caf::actor& link,
                      const std::string& node_id,
                      const protocol::ExecRecord& rec,
                      const std::string& message, const char* what,
                      std::function<void(bool kept)> then = {});

} // namespace pact::agent
