#pragma once

/// What `pact diff NODE` shows when it asks the node's agent (docs/cli.md
/// "pact diff"): the node's live drift, one block per drifted item —
/// dimension, path or key, declared vs actual — with a unified diff for
/// small text files, then the commit window and anything that limits what
/// the agent can see. CAF-free; actors/client fetches the DriftReply.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include <pact/protocol/api.pb.h>

namespace pact::render {

/// Text form. `now_unix_ms` is used for the time left in the window.
std::string drift_text(const protocol::DriftReply& r, int64_t now_unix_ms);

/// {node, declared_state_known, magnitude, observed, window: {state,
/// opened, ends}, scan_fallback_paths: [...], items: [{dimension, key,
/// change, declared, actual, declared_bytes, actual_bytes, unified_diff,
/// restorable, since}]}; absent values are null, times ISO 8601; the
/// *_bytes are a file's size as the agent counted its bytes (null when it
/// sent none).
nlohmann::json drift_json(const protocol::DriftReply& r);

/// What `pact rollback SEQ` of a node prints when its agent restored it
/// (docs/cli.md "pact rollback"): the journal's answer, then one line per
/// restored item: "  OUTCOME  DIMENSION KEY (DETAIL)". Keys and details
/// come from the node (a file name may hold a newline): each is one
/// terminal_safe field, so none can start a line of its own.
std::string restored_text(const protocol::NodeRollbackReply& r,
                          const protocol::Scope& scope, uint64_t seq);

/// {rollback_to, scope, unchanged, sequence?, restored: [{category, key,
/// outcome, detail}]}.
nlohmann::json restored_json(const protocol::NodeRollbackReply& r,
                             const protocol::Scope& scope, uint64_t seq);

} // namespace pact::render
