#pragma once

/// The journal's view of nodes in `pact status NODE` and `pact status
/// --vcluster V` (issue 11 items 4 and 6; docs/cli.md "pact status"): the
/// node's commit window and drift as its agent recorded them, and whether
/// committed node deltas make a vCluster heterogeneous. Pure: `now_ms` is
/// passed in.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pact/protocol/api.pb.h>

namespace pact::render {

/// "in 45s", "in 12m", "in 3h".
std::string in_text(int64_t ms);

/// The node's commit window: "open, ends in 12m (2026-…Z)", "expired 3m
/// ago: drift flagged for review", "ended 40s ago" (its end passed, no
/// expiry recorded yet), or "none open".
std::string window_text(const protocol::NodeRecord& n, int64_t now_ms);

/// Whether the node's committed delta is still in force at `now_ms` (it
/// has items and its TTL has not run out).
bool delta_in_force(const protocol::NodeRecord& n, int64_t now_ms);

/// A key on which committed node deltas in force differ from the overlay.
struct divergent_key {
  protocol::DeltaCategory category = protocol::DELTA_CATEGORY_UNSPECIFIED;
  std::string key;
  std::vector<std::string> nodes;
};

/// The keys where nodes of `overlay`'s vCluster differ from it through
/// committed deltas in force, sorted by (category, key).
std::vector<divergent_key>
divergent_keys(const protocol::VClusterOverlay& overlay,
               const std::vector<protocol::NodeRecord>& nodes, int64_t now_ms);

/// The `--vcluster` text: one row per node (state, drifted items, window,
/// committed changes) and, when the vCluster is heterogeneous, a warning
/// naming the keys and nodes that points at `pact promote`.
std::string vcluster_nodes_text(const protocol::StateReply& st,
                                const std::string& vcluster, int64_t now_ms);

/// JSON of divergent_keys: [{"category", "key", "nodes"}].
nlohmann::json divergent_json(const std::vector<divergent_key>& keys);

} // namespace pact::render
