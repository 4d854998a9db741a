#pragma once

/// Converging a node back to what it should hold (issue 11 item 4; DESIGN.md
/// §9: "under enforce mode the node converges back to the declared state").
/// The agent calls it when a commit window expires under enforcement_mode
/// "enforce"; `pact rollback` of a node restores through it too. Pure apart
/// from what the backends do (everything under --root).
///
/// Input: the drifted items (drift_state::items(): `declared` is the value
/// to put back — the journal's declared value, else the baseline's — and
/// `actual` what is there), the journal's raw declared values (a declared
/// file's canonical JSON carries its mode and owner; drift_state keeps only
/// its content) and the backends of apply_backends.hpp.
///
/// What each item gets:
///   files    declared by the journal: applied as the declared item (content,
///            mode, owner); known from the baseline: its content (or symlink)
///            written back, mode and owner kept; expected absent (appeared
///            after the baseline, or declared removed): removed; held only
///            as a hash (over the baseline's size cap): not restored, named.
///   kernel   sysctl keys written back; a key expected absent cannot be
///            unset, and kernel modules are neither loaded nor unloaded by
///            the agent: not restored, with the reason.
///   mounts   a missing declared mount goes to the mount backend (real only
///            with --root / and privileges, else recorded: not restored,
///            "would mount ..."); an extra mount is never unmounted (it may
///            be in use): not restored.
///   others   no comparison exists yet (drift_state.hpp): not restored.
/// A failure is an outcome, never an exception; every item gets one.

#include <map>
#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

#include "runtime/node/boot_apply.hpp"
#include "runtime/node/drift.hpp"

namespace pact::node {

/// The fate of one drifted item.
struct converge_result {
  drift_item item;
  bool restored = false;
  /// Restored: what was done ("wrote /root/etc/motd"). Not restored: why.
  std::string detail;
};

/// The journal's declared items by (category, key), canonical values as in
/// effective_items (boot_apply.hpp).
using declared_values = std::map<item_id, std::string>;

/// Index of effective_items' result.
declared_values index_declared(const std::vector<protocol::DeltaItem>& items);

/// Puts each item back (see above), in the boot's dimension order (kernel,
/// mounts, files) so a file lands on a restored mount. One result per item,
/// in that order.
std::vector<converge_result> converge(const std::vector<drift_item>& items,
                                      const declared_values& declared,
                                      backend_map& backends);

/// The AUTO_CONVERGE delta: the restored items, each the reverse of its
/// drift (value = what is there now, previous = what it replaced; hashes
/// for content over the size cap, as in DRIFT_DETECTED entries).
protocol::StateDelta converge_delta(const std::vector<converge_result>& r);

/// The entry's message: "`why`: restored N item(s): A, B; not restored: C
/// (reason); ..." naming at most a few items of each kind ("+N more"), so it
/// stays within the journal's 4096-byte message limit.
std::string converge_message(const std::string& why,
                             const std::vector<converge_result>& r);

} // namespace pact::node
