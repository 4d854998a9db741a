#pragma once

/// `pact diff NODE` against the node's agent (issue 11 item 3): where the
/// agent listens, and its DriftReply. The agent verifies the caller's token
/// itself and applies the same read rule as for status.

#include <functional>
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

/// Sends `req` to the agent at `agent` with the CLI's token and timeout
/// and returns its answer; a refusal carries the exit code of its status
/// (DESIGN.md §6: 4 conflict, 10 rollback blocked, ...). A refusal for
/// want of a second person's grant (exit 3) sets `*approval_required`
/// when given (approval_refusal).
expected<protocol::Response>
agent_call(const config::values& cfg, const endpoint& agent,
           protocol::Request req, bool* approval_required = nullptr);

/// An agent's answer that asks for a second person's grant (two-person
/// vCluster: Status.approval_required; the connection returns it as it
/// is): its refusal (exit 3, the agent's message), `*approval_required`
/// set when given, for the caller to ask the journal for a grant
/// (approval.hpp) and send the request again with its id. nullopt for
/// any other answer.
std::optional<error> approval_refusal(const protocol::Response& resp,
                                      const endpoint& agent,
                                      bool* approval_required);

/// The node's agent: agent_endpoint_for, else the journal's record
/// (recorded_agent_endpoint). nullopt: no agent is known for `node`.
expected<std::optional<endpoint>> find_agent(const config::values& cfg,
                                             journal_session& s,
                                             const std::string& node);

/// The agent to ask about `node`: agent_endpoint_for when the caller named
/// one; for "" this host's agent (`agent_endpoint`, default
/// http://localhost:9445); else the endpoint the node's agent recorded in
/// the journal at boot, asking `session` for a journal session only then.
/// Errors: a bad URL, the journal's, or a node whose agent never booted
/// (exit 1, saying to set PACT_AGENT_ENDPOINT).
expected<endpoint>
node_agent(const config::values& cfg,
           const std::function<expected<journal_session*>()>& session,
           const std::string& node);

/// The node the agent at `agent` serves: `node` when named, else the name
/// the agent answers with (asked with a drift request). A grant names the
/// node by its id (policy/agent_action.hpp).
expected<std::string> served_node(const config::values& cfg,
                                  const endpoint& agent,
                                  const std::string& node);

/// `node`'s committed items after entry `seq`, replayed from its entries in
/// the journal's log (runtime/journal/node_history.hpp), read newest first
/// in pages back to its latest rollback at or below `seq`. `seq_unix_ms` is
/// entry `seq`'s timestamp (pages end there).
expected<protocol::StateDelta> node_items_at(journal_session& s,
                                             const std::string& node,
                                             uint64_t seq, int64_t seq_unix_ms);

} // namespace pact::client
