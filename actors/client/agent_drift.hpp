#pragma once

/// `pact diff NODE` against the node's agent (issue 11 item 3): where the
/// agent listens, and its DriftReply. The agent verifies the caller's token
/// itself and applies the same read rule as for status.

#include <optional>
#include <string>

#include "runtime/common/config.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

/// The agent endpoint for `node` when the caller named one:
/// PACT_AGENT_ENDPOINT or cli.toml `agent_endpoint` (a bad URL is an error
/// naming where it was set). nullopt when neither is set: the caller then
/// keeps to the journal. SEAM: learning the endpoint each agent records in
/// the journal at boot (issue 11 item 1) belongs here, as the answer when
/// no override is set.
std::optional<expected<endpoint>> agent_endpoint_for(const config::values& cfg,
                                                     const std::string& node);

/// Asks the agent at `agent` for `node`'s drift, with the CLI's token and
/// timeout. Errors carry the exit codes of DESIGN.md §6 (2 for a refused
/// token, 5 when the agent cannot be reached).
expected<protocol::DriftReply> node_drift(const config::values& cfg,
                                          const endpoint& agent,
                                          const std::string& node);

} // namespace pact::client
