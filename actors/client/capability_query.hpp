#pragma once

/// `pact cap [NODE]` on the client side (issue 11 item 5): which agent to
/// ask, and asking it for its capability manifest (CapabilityRequest on the
/// agent API, port 9445).

#include <string>

#include "runtime/common/config.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

/// Asks the agent for `node`'s manifest (the token and deadline of `cfg`).
/// Errors: no token (exit 2), agent unreachable (exit 5, naming it), the
/// agent's refusal (its message and exit code), an answer without a
/// manifest (exit 1).
expected<protocol::CapabilityReply> ask_capability(const config::values& cfg,
                                                   const endpoint& agent,
                                                   const std::string& node);

} // namespace pact::client
