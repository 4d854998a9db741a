#pragma once

/// An operator's journal write made through the node's agent: proposed on
/// the journal link's connection (operator_call_atom) with the operator's
/// own token, so that the journal authorizes and records the operator, not
/// the node. Used by drift commits and rollbacks (drift_operator.hpp) and
/// by the use of an approval grant before an exec or a restart runs
/// (issue 14; docs/agent.md, "Approval").

#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include <pact/protocol/api.pb.h>

namespace pact::agent {

using journal_answer = std::function<void(protocol::Response)>;

/// Proposes `cmd` with `token` through `link` (the journal link that runs
/// now); `done` gets the journal's Response, or UNAVAILABLE (nothing
/// written, or outcome unknown when the journal went silent) when the link
/// or the journal cannot be reached.
void propose_as_operator(caf::event_based_actor* self, const caf::actor& link,
                         const protocol::JournalCommand& cmd,
                         const std::string& token, journal_answer done);

/// Uses the grant `approval_id` for `what` (policy/agent_action.hpp) with
/// the operator's `token`, before the action runs. `then(status)`: OK when
/// the journal recorded this use (the action may run, once); otherwise the
/// refusal to pass to the client as it is, and nothing may run: the
/// journal's own (2 not the requester or another action, 4 already used or
/// expired, 1 no such grant), or UNAVAILABLE (5) when the journal cannot be
/// asked: no grant is checked offline.
void redeem_grant(caf::event_based_actor* self, const caf::actor& link,
                  const std::string& token, const std::string& approval_id,
                  const protocol::AgentAction& what,
                  std::function<void(protocol::Status)> then);

} // namespace pact::agent
