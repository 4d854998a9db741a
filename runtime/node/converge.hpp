#pragma once

/// Converging a node back to what it should hold (issue 11 item 4; DESIGN.md
/// §9: "under enforce mode the node converges back to the declared state").
/// The agent calls it when a commit window expires under enforcement_mode
/// "enforce" (a rollback plans its own steps: node_restore.hpp). Pure apart
/// from what the backends do (everything under --root).
///
/// Input: the drifted items (drift_state::items(): `declared` is the value
/// to put back — the journal's declared value, else the baseline's — and
/// `actual` what is there), the journal's raw declared values (a declared
/// file's canonical JSON carries its mode and owner; drift_state keeps only
/// its content) and the backends of apply_backends.hpp.
///
/// What each item gets is restore_core.hpp's: the plan is the drift
/// (target = `declared`, the journal's raw value when it came from the
/// journal), executed by the same executor as a rollback, except that an
/// extra mount is never unmounted here (it may be in use; a rollback
/// checks its consumers first). Every item gets an outcome; a failure is
/// an outcome, never an exception.

#include <map>
#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

#include "runtime/node/restore_core.hpp"

namespace pact::node {

/// The fate of one drifted item.
struct converge_result {
  drift_item item;
  bool restored = false;
  /// Restored: what was done ("wrote /root/etc/motd"). Not restored: why.
  std::string detail;
};

/// Puts each item back (see above), in restore_core's order (the boot's
/// dimension order, file removals first) so a file lands on a restored
/// mount. One result per item, in that order. `declared` = the journal's
/// declared values now.
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
