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
/// asks the journal (recorded_agent_endpoint).
std::optional<expected<endpoint>> agent_endpoint_for(const config::values& cfg,
                                                     const std::string& node);

class journal_session;

/// Where `node`'s agent said it listens when it last booted (the journal
/// records it, replicated, in the node's record: docs/agent.md), read
/// from any replica. nullopt: no such node, or its agent never booted.
/// Errors: the journal's (exit codes of DESIGN.md §6), or a recorded URL
/// that does not parse (exit 1, naming the node).
expected<std::optional<endpoint>>
recorded_agent_endpoint(journal_session& s, const std::string& node);

/// Asks the agent at `agent` for `node`'s drift, with the CLI's token and
/// timeout. Errors carry the exit codes of DESIGN.md §6 (2 for a refused
/// token, 5 when the agent cannot be reached).
expected<protocol::DriftReply> node_drift(const config::values& cfg,
                                          const endpoint& agent,
                                          const std::string& node);

} // namespace pact::client
