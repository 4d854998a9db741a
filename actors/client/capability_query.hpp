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

/// The agent API endpoint that serves `node` (empty: this host's agent).
///
/// Seam: today this is `agent_endpoint` (PACT_AGENT_ENDPOINT, cli.toml,
/// default http://localhost:9445) for every node. Learning a node's
/// endpoint from the journal (the agent records it at boot; any replica can
/// tell) belongs to the boot work of issue 11: when `agent_endpoint` is
/// still at its default (origin_of(...).source == default_value) and a node
/// is named, that lookup goes here; an explicit PACT_AGENT_ENDPOINT keeps
/// overriding it. Errors: a malformed URL, naming its source (exit 1).
expected<endpoint> agent_endpoint_for(const config::values& cfg,
                                      const std::string& node);

/// Asks the agent for `node`'s manifest (the token and deadline of `cfg`).
/// Errors: no token (exit 2), agent unreachable (exit 5, naming it), the
/// agent's refusal (its message and exit code), an answer without a
/// manifest (exit 1).
expected<protocol::CapabilityReply> ask_capability(const config::values& cfg,
                                                   const std::string& node);

} // namespace pact::client
