#pragma once

/// The boot step of the agent (issue 11 item 1): from the vCluster overlay
/// and the node's committed delta (the journal's boot stream, or the cache
/// when no replica answers) to the node's effective declared items, applied
/// through the backends of apply_backends.hpp in a fixed order — kernel,
/// mounts, files, network, packages — so that files may land on declared
/// mounts. Services are not applied here: they are returned for the
/// supervisor; GPU settings for the GPU poller. Pure apart from what the
/// backends do.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <pact/protocol/api.pb.h>

#include "runtime/node/apply_backends.hpp"

namespace pact::node {

/// The overlay's items with the node delta laid over them: a node ADD or
/// MODIFY replaces (or adds) the item of the same (category, key), a REMOVE
/// drops it. Sorted by (category, key), one item per key, action ADD.
std::vector<protocol::DeltaItem>
effective_items(const protocol::VClusterOverlay& overlay,
                const protocol::NodeDelta& delta);

/// The items of `after` that `before` lacks or declares with another
/// value (both as effective_items returns them). A node that is running
/// applies only these when its declared state moves: re-applying the rest
/// would silently overwrite drift the operator has not committed yet, even
/// on an observe-only vCluster (converging drift is the commit window's
/// decision, DESIGN.md §9). When any network setting changes or goes, every
/// network item of `after` is in it (they share one file). Items that left
/// the declared state are not in it: the drift watcher puts them back
/// (undeclare.hpp).
std::vector<protocol::DeltaItem>
changed_items(const std::vector<protocol::DeltaItem>& before,
              const std::vector<protocol::DeltaItem>& after);

/// One item's fate.
struct item_result {
  protocol::DeltaItem item;
  apply_outcome outcome;
};

/// What a boot did.
struct boot_report {
  std::vector<item_result> items;
  /// Declared services, for the supervisor (SERVICES items).
  std::vector<protocol::DeltaItem> services;
  size_t applied = 0;
  size_t recorded = 0;
  size_t handed_off = 0;
  size_t failed = 0;

  /// "12 applied, 2 recorded, 1 handed off, 0 failed".
  std::string summary() const;
};

using backend_map
  = std::map<protocol::DeltaCategory, std::unique_ptr<item_backend>>;

/// Applies `items` through `backends` (a dimension without a backend is
/// handed off). Never stops at a failure: every item gets its outcome.
boot_report apply_items(const std::vector<protocol::DeltaItem>& items,
                        backend_map& backends);

/// The report as JSON (the agent writes it to <state-dir>/last-boot.json):
/// {"source", "vcluster", "overlay_version", "summary", "items": [{
/// "category", "key", "outcome", "detail"}]}. `source` is "journal" or
/// "cache".
std::string report_json(const boot_report& r, const std::string& source,
                        const std::string& vcluster, uint64_t version);

/// The dimension's name as docs and logs write it ("kernel", "files", …).
std::string category_name(protocol::DeltaCategory c);

/// Where a dimension comes in the apply order: kernel 0, mounts 1, files
/// 2, network 3, packages 4, the rest 5 (boots and restores alike).
int apply_rank(protocol::DeltaCategory c);

} // namespace pact::node
