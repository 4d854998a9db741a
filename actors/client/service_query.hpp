#pragma once

/// `pact service` on the client side (docs/services.md): a ServiceRequest
/// to the node's agent (agent_drift.hpp agent_call: the token and deadline
/// of `cfg`). Errors: no token (exit 2), the agent unreachable (exit 5,
/// naming it), the agent's refusal (its message and exit code).

#include "runtime/common/config.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

/// ServiceRequest `q` to `agent`; an answer without a service reply is an
/// error (exit 1). A restart refused for want of a second person's grant
/// (exit 3) sets `*approval_required` when given: ask the journal for one
/// and send `q` again with its approval_id.
expected<protocol::ServiceReply> ask_service(const config::values& cfg,
                                             const endpoint& agent,
                                             const protocol::ServiceRequest& q,
                                             bool* approval_required = nullptr);

} // namespace pact::client
