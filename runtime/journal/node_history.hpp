#pragma once

/// A node's committed items after a given entry, folded from its entries
/// the way config_state_machine's rollback replays a node scope
/// (config_rollback.cpp): a COMMIT merges its delta (node merge: a node
/// item replaces the item of the same key), a ROLLBACK sets the complete
/// items it restored; other entries leave the items alone. `pact rollback
/// SEQ` of a node entry sends the result to the node's agent, which checks
/// that it can restore the node to it before the journal records the
/// rollback (docs/drift.md).

#include <cstdint>
#include <vector>

#include <pact/protocol/journal.pb.h>

namespace pact::journal {

/// Folds `newest_first`, a node's entries newest first, skipping entries
/// above `upto`; only the entries after the newest ROLLBACK at or below
/// `upto` matter, so a caller may stop reading at that one. Canonical
/// order in the result.
protocol::StateDelta
node_items_at(const std::vector<protocol::ConfigEntry>& newest_first,
              uint64_t upto);

/// Whether `e` ends a newest-first read for node_items_at: a ROLLBACK at
/// or below `upto` holds the complete items.
bool starts_node_history(const protocol::ConfigEntry& e, uint64_t upto);

} // namespace pact::journal
