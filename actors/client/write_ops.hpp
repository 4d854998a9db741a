#pragma once

/// The steps of `pact commit` and `pact rollback` that talk to the journal
/// and the node's agent, shared by the CLI and pact-mcp (pact_commit,
/// pact_rollback) so both do exactly the same thing. What is printed is
/// runtime/render/write_render.hpp. Errors carry the exit codes of
/// DESIGN.md §6.

#include <cstdint>
#include <optional>
#include <string>

#include "actors/client/client.hpp"
#include "runtime/common/config.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

class journal_session;

/// The delta the commit `reply` recorded: returned with the result, or
/// for a retried command (whose remembered result does not carry it) read
/// back from its entry, `sent` when that read fails; empty when the commit
/// appended no entry.
protocol::StateDelta recorded_delta(journal_session& s,
                                    const protocol::CommandReply& reply,
                                    const protocol::StateDelta& sent);

/// The entry with sequence `seq`. Errors: the journal's; no such entry
/// (exit 1, "rollback: no entry with sequence N").
expected<protocol::ConfigEntry> entry_at(journal_session& s, uint64_t seq);

/// A node's live drift committed by its agent (docs/drift.md): nothing
/// when the node has no drift, else the agent's journal reply, which a
/// two-person vCluster holds for approval (policy::held_for_approval).
/// Errors: no agent known for `node` (exit 1), the agent's or the
/// journal's.
expected<std::optional<protocol::CommandReply>>
commit_drift(const config::values& cfg, journal_session& s,
             const std::string& node, const std::string& message,
             uint32_t ttl_seconds);

/// A node rollback to entry `seq` through the node's agent at `agent`,
/// which checks, records and restores (docs/drift.md, "Rolling a node
/// back"). `seq_unix_ms`: entry `seq`'s timestamp. Errors: the agent's
/// (exit 10: blocked by a mount in use or a dependent service, unless
/// `force`).
expected<protocol::NodeRollbackReply>
rollback_node(const config::values& cfg, journal_session& s,
              const endpoint& agent, const std::string& node, uint64_t seq,
              int64_t seq_unix_ms, bool force, const std::string& message);

/// The active emergency of exactly `scope` (read after a start); nothing
/// when there is none or the read failed.
std::optional<protocol::Emergency>
active_emergency(journal_session& s, const protocol::Scope& scope);

} // namespace pact::client
