#pragma once

/// What `pact diff` and the MCP tool pact_diff show (docs/cli.md "pact
/// diff"): a node's committed delta against its vCluster's overlay, each
/// change marked `[committed]` (not yet promoted into the overlay) or
/// `[in overlay]`; and, without a node, one row per node. Until agents
/// report actual state, "actual" is null. actors/client/journal_session
/// fetches the record and overlay; this file computes and renders.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pact/protocol/api.pb.h>

namespace pact::render {

struct node_diff {
  std::string node;
  /// The node's record; its vcluster is the one compared with (for a node
  /// enrolled nowhere, the vCluster the caller named, possibly none).
  protocol::NodeRecord record;
  /// That vCluster's overlay (empty, version 0, when there is none).
  protocol::VClusterOverlay overlay;
  /// Only the committed changes not yet promoted (--committed).
  bool committed_only = false;
};

/// The overlay of `vc` in `st`; an empty one named `vc` when absent.
protocol::VClusterOverlay overlay_of(const protocol::StateReply& st,
                                     const std::string& vc);

/// "node N (vcluster V overlay vX, STATE)" and one line per change.
std::string node_diff_text(const node_diff& d);
/// {node, vcluster, overlay_version, state, committed: [ITEM + promoted],
/// actual: null}.
nlohmann::json node_diff_json(const node_diff& d);

/// Every node of `st`: NODE VCLUSTER STATE COMMITTED UNPROMOTED, or "no
/// nodes with journal records[ in vcluster VC]".
std::string diff_table_text(const protocol::StateReply& st,
                            const std::string& vc);
/// {"nodes": [{node, vcluster, state, committed, unpromoted}]}.
nlohmann::json diff_table_json(const protocol::StateReply& st);

} // namespace pact::render
