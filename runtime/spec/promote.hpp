#pragma once

/// `pact promote NODE` and `pact diff --committed`: folding a node's
/// committed delta into its vCluster's overlay (docs/spec.md, "Promote").
/// Pure functions over journal records.

#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

namespace pact::spec {

/// Another node whose committed delta disagrees with the promoted node's
/// on one item.
struct promote_conflict {
  protocol::DeltaCategory category = protocol::DELTA_CATEGORY_UNSPECIFIED;
  std::string key;
  /// The promoted node's value (empty for a REMOVE).
  std::string node_value;
  std::string other_node;
  /// The other node's value (empty for a REMOVE).
  std::string other_value;
  /// The actions, which tell a REMOVE from an empty value.
  protocol::DeltaAction node_action = protocol::DELTA_ACTION_UNSPECIFIED;
  protocol::DeltaAction other_action = protocol::DELTA_ACTION_UNSPECIFIED;
};

struct promote_plan {
  /// The vCluster overlay with the node's committed delta merged in. Its
  /// `version` is the version of the overlay the plan was made from; its
  /// `checksum` is cleared (the journal computes it when the change lands).
  protocol::VClusterOverlay overlay;
  /// What the merge changes in the overlay: journal::diff_items(old, new).
  /// ADD for new keys, MODIFY (with previous) for changed values, REMOVE
  /// (with previous) for erased keys, canonical order; a valid delta for a
  /// vCluster-scope commit against the overlay it was planned from. Empty
  /// when the overlay already reflects the node.
  protocol::StateDelta changes;
  /// Disagreements with other nodes, ordered by (category, key, node).
  std::vector<promote_conflict> conflicts;
};

/// Plans promoting `node`'s committed items into `current`: ADD and MODIFY
/// items set key = value (stored as ADD without previous), REMOVE items
/// erase the key. A conflict is reported for every node in `others` (other
/// than `node` itself, matched by id) whose committed items hold the same
/// (category, key) with a different action or value. `others` is the
/// caller's choice, normally the other nodes of the vCluster.
promote_plan plan_promote(const protocol::VClusterOverlay& current,
                          const protocol::NodeRecord& node,
                          const std::vector<protocol::NodeRecord>& others);

/// The node's committed items the overlay does not already reflect: an ADD
/// or MODIFY whose key is absent or has another value, a REMOVE whose key
/// is present. In the node record's (canonical) order.
std::vector<protocol::DeltaItem>
unpromoted(const protocol::VClusterOverlay& overlay,
           const protocol::NodeRecord& node);

} // namespace pact::spec
