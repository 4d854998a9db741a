#pragma once

/// Drift: declared state against observed state (DESIGN.md §9), and its
/// magnitude. Pure: no files, clocks or actors.
///
/// Items are identified as the journal identifies them, by (category, key)
/// (runtime/journal/journal_items.hpp): category is the drift dimension
/// (pact.protocol.DeltaCategory), key a path, sysctl name, mount point or
/// "module:NAME" for a loaded kernel module (kernel dimension).
///
/// Magnitude: `sqrt(Σ wᵢ·vᵢ²)` over the seven dimensions, where vᵢ is the
/// NUMBER OF DRIFTED ITEMS in dimension i and wᵢ is 2.0 for kernel and gpu,
/// 1.0 for the others (docs/drift.md says why a count). One drifted file
/// gives 1.0, one sysctl √2, ten files √10.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pact/protocol/api.pb.h>
#include <pact/protocol/journal.pb.h>

#include "runtime/common/error.hpp"

namespace pact::node {

using category = protocol::DeltaCategory;

/// (category, key), ordered like the journal's canonical item order.
using item_id = std::pair<int, std::string>;

/// A declared or observed value: absent, or present with its text. File
/// values are the content, or "sha256:HEX" when only a hash is known.
struct item_value {
  bool present = false;
  std::string value;

  static item_value absent() {
    return {};
  }
  static item_value of(std::string v) {
    return {true, std::move(v)};
  }
  bool operator==(const item_value& o) const {
    return present == o.present && value == o.value;
  }
};

/// Prefix of a file value that holds a hash instead of content.
inline constexpr const char* sha256_prefix = "sha256:";

/// Key prefix of a kernel module in the kernel dimension.
inline constexpr const char* module_prefix = "module:";

/// The node's declared state: its vCluster overlay's items with its node
/// delta merged over them (a node item ADD or MODIFY declares its value, a
/// REMOVE declares the key absent: the node delta says how the node differs
/// from its overlay). File values are reduced to their content (the
/// overlay's canonical JSON `{"content", "mode", ...}`, docs/spec.md);
/// a file value that is not such JSON is taken as the content itself.
struct declared_state {
  std::map<item_id, item_value> items;
  /// The journal's own value of each declared present item (for a file
  /// the canonical JSON with content and mode): what a conditional commit
  /// expects (JournalCommand.expect_previous) and what a restore writes.
  std::map<item_id, std::string> raw;

  /// Merges; an item without a category or key is an error naming it.
  static expected<declared_state> from(const protocol::VClusterOverlay& overlay,
                                       const protocol::NodeDelta& delta);

  /// The declared value of `id`, or nullopt when `id` is not declared.
  std::optional<item_value> find(const item_id& id) const;
};

/// Whether an observed value agrees with the expected one in `cat`:
/// kernel values compare with runs of whitespace collapsed (sysctl prints
/// tabs), file content compares with a "sha256:" form by hashing, mounts
/// compare the declared fields only (type, source, read_only, and each
/// declared option must be among the mounted ones); otherwise bytes.
bool same_value(category cat, const item_value& expected,
                const item_value& actual);

/// One drifted item.
struct drift_item {
  item_id id;
  /// What should be there (declared, else the baseline).
  item_value declared;
  /// What is there.
  item_value actual;
  /// Whether `declared` came from the journal (false: from the baseline).
  bool from_journal = false;
  /// When the item was first seen drifting, ms since the Unix epoch.
  int64_t since_unix_ms = 0;
};

/// Compares one item; nullopt when observed agrees with expected.
std::optional<drift_item> compare(const item_id& id, const item_value& expected,
                                  const item_value& actual, bool from_journal);

/// Dimension weight wᵢ (DESIGN.md §9): kernel = gpu = 2.0, others 1.0.
double dimension_weight(category cat);

/// sqrt(Σ wᵢ·vᵢ²) with vᵢ = count of `items` in dimension i.
double magnitude(const std::vector<drift_item>& items);

/// The journal's view of a drifted item (DRIFT_DETECTED entries): action
/// ADD (should be absent), REMOVE (should be present) or MODIFY; value =
/// actual, previous = declared (hashes for files over the size cap).
protocol::DeltaItem to_delta_item(const drift_item& d);

} // namespace pact::node
