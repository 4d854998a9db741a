#pragma once

/// What `pact status [NODE] [--vcluster V]` and the MCP tool pact_status
/// show (docs/cli.md "pact status"): the status reply — only NODE's entry
/// when a node is asked about — and, when a node or vCluster is named, the
/// journal's declared view of it (node state, committed changes, commit
/// window, overlay version, emergencies). actors/client/journal_session
/// fetches the view; this file renders it, so both front ends print alike.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pact/protocol/api.pb.h>

namespace pact::render {

struct status_view {
  /// The node and vCluster asked about (either may be empty).
  std::string node;
  std::string vcluster;
  protocol::StatusReply reply;
  /// The declared state read for `node`/`vcluster`; absent when neither was
  /// named or the read failed (status still answers from health reports).
  std::optional<protocol::StateReply> declared;
  /// Active emergencies and pending approvals the caller may read (issue
  /// 14 item 5), shown whatever was asked.
  std::vector<protocol::Emergency> emergencies;
  std::vector<protocol::Approval> approvals;
};

/// Drops every node of `reply` but `node` (no-op for an empty `node`).
void keep_only_node(protocol::StatusReply& reply, const std::string& node);

/// The text report; `now_ms` dates the last-activity columns. Every remote
/// field passes through terminal_safe.
std::string status_view_text(const status_view& v, int64_t now_ms);

/// The JSON of docs/cli.md: render_status_json plus, with a declared view,
/// `"declared": {"nodes": [NODE], "overlays": [{vcluster, version,
/// checksum, items, heterogeneous}]}`; `now_ms` dates the commit windows
/// and committed deltas' expiry (node_view.hpp).
nlohmann::json status_view_json(const status_view& v, int64_t now_ms);

} // namespace pact::render
