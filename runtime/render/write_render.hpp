#pragma once

/// What `pact commit`, `pact rollback` and `pact apply` print, shared with
/// pact-mcp's pact_commit, pact_rollback and pact_apply so that a tool's
/// text is the CLI's stdout and its structuredContent the CLI's `--output
/// json` (docs/mcp.md, "Same answers as pact"). Each pair is
/// (text, json) of one outcome; shapes are documented in docs/cli.md.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pact/protocol/api.pb.h>

namespace pact::render {

/// One line per target a command left unchanged (CommandResult.unchanged):
/// "vcluster ml: unchanged (version 7)".
std::vector<std::string> unchanged_lines(const protocol::CommandResult& r);

/// A commit to `target`: `reply` from the journal, `recorded` the delta as
/// the entry holds it. JSON: {sequences, raft_index, scope, unchanged,
/// changes[]}.
std::string commit_text(const protocol::Scope& target,
                        const protocol::CommandReply& reply,
                        const protocol::StateDelta& recorded);
nlohmann::json commit_json(const protocol::Scope& target,
                           const protocol::CommandReply& reply,
                           const protocol::StateDelta& recorded);

/// A node with no drift to commit: {scope, unchanged: true, changes: []}.
std::string no_drift_text(const std::string& node);
nlohmann::json no_drift_json(const protocol::Scope& target);

/// A declared-state rollback of `scope` to entry `to`: {sequence,
/// rollback_to, scope}, or {unchanged: true, rollback_to, scope} when the
/// scope already held that state.
std::string rollback_text(const protocol::Scope& scope, uint64_t to,
                          const protocol::CommandReply& reply);
nlohmann::json rollback_json(const protocol::Scope& scope, uint64_t to,
                             const protocol::CommandReply& reply);

/// An applied spec: {applied: [{vcluster, sequence | version, unchanged}]},
/// in spec order.
std::string apply_text(const std::vector<protocol::OverlaySpec>& specs,
                       const protocol::CommandReply& reply);
nlohmann::json apply_json(const std::vector<protocol::OverlaySpec>& specs,
                          const protocol::CommandReply& reply);

/// What applying `specs` would change against the overlays in `st`:
/// {dry_run: true, vclusters: [{vcluster, changes[]}]}.
std::string apply_plan_text(const std::vector<protocol::OverlaySpec>& specs,
                            const protocol::StateReply& st);
nlohmann::json apply_plan_json(const std::vector<protocol::OverlaySpec>& specs,
                               const protocol::StateReply& st);

/// One active emergency: {scope, started_sequence, owner, reason,
/// window_ends}.
nlohmann::json emergency_json(const protocol::Emergency& e);

/// `pact emergency start`: `reply` of the start, `active` the emergency as
/// read back (nothing when that read failed). JSON: emergency_json with
/// {scope, sequence}.
std::string emergency_started_text(const protocol::Scope& scope,
                                   const protocol::CommandReply& reply,
                                   const protocol::Emergency* active);
nlohmann::json emergency_started_json(const protocol::Scope& scope,
                                      const protocol::CommandReply& reply,
                                      const protocol::Emergency* active);

/// `pact emergency end`: {scope, sequence}.
std::string emergency_ended_text(const protocol::Scope& scope,
                                 const protocol::CommandReply& reply);
nlohmann::json emergency_ended_json(const protocol::Scope& scope,
                                    const protocol::CommandReply& reply);

/// `pact emergency status`: a table, or "no active emergencies"; JSON an
/// array of emergency_json.
std::string emergencies_text(const protocol::StateReply& st);
nlohmann::json emergencies_json(const protocol::StateReply& st);

} // namespace pact::render
