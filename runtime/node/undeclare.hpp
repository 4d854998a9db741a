#pragma once

/// When the declared state stops declaring an item (`pact apply` drops it
/// from the overlay, a node delta no longer holds it): what an operator
/// expects is the node as it would be without that declaration (the admin
/// guide: "All nodes in the vCluster will converge to the new declared
/// state"), not the old overlay's value left behind. docs/drift.md, "When a
/// declaration goes away".
///
/// The value an item goes back to is what it held before pact declared it:
/// what the node held just before the agent first applied it, at boot or
/// in a later update (read here, `read_before` / `remember_before`, and
/// kept by drift_state; a file pact created goes away again); else the
/// baseline the agent took when it started.
/// It goes back at once, whatever the enforcement mode: it is the
/// operator's change, like a new declaration, not drift waiting for a
/// window. An item that drifts when its declaration goes is left to the
/// drift rules (putting it back would overwrite a change nobody committed),
/// and one the agent knows nothing earlier of (a package, a service, a
/// file outside the watched tree) is left as it is. Only files and sysctl
/// keys are read before the boot; network settings are rewritten from what
/// is still declared (boot_apply.hpp changed_items), services follow the
/// declared set (the supervisor gets all of it), packages stay installed.
/// Limits: the values read before the boot live in the agent's memory, so
/// after the agent restarts on a node it configured earlier they are pact's
/// own earlier writes (nothing to put back).

#include <string>
#include <vector>

#include <pact/protocol/api.pb.h>

#include "runtime/node/drift_state.hpp"
#include "runtime/node/restore_core.hpp"
#include "runtime/node/window_rules.hpp"

namespace pact::node {

/// What files and sysctl keys among `items` hold under `root` now, before
/// they are applied; content over `max_file_bytes` as its hash. Items that
/// cannot be read (a sysctl key the kernel lacks) are left out.
observed_items read_before(const std::string& root,
                           const std::vector<protocol::DeltaItem>& items,
                           size_t max_file_bytes);

/// Adds to `before` what the items of `todo` that `declared` (what was
/// declared until now) lacks hold under `root` before they are applied
/// (read_before): the first declaration of an item, at boot (`declared`
/// empty) or in a later update, records what it goes back to. An item
/// `before` already holds keeps its value (a declaration dropped and
/// declared again goes back to what the node held before pact at all).
void remember_before(protocol::StateDelta& before, const std::string& root,
                     const std::vector<protocol::DeltaItem>& todo,
                     const std::vector<protocol::DeltaItem>& declared,
                     size_t max_file_bytes);

/// `before` as a delta for a message between actors (ADD with the value,
/// REMOVE for an absent item), and back.
protocol::StateDelta before_delta(const observed_items& before);
observed_items before_items(const protocol::StateDelta& delta);

/// The items `s` declares and `next` does not, that do not drift and whose
/// earlier value differs from the declared one: each back to that value.
std::vector<restore_step> plan_dropped(const drift_state& s,
                                       const declared_state& next);

/// The files `s` declares present that `next` declares absent (a node
/// delta's REMOVE: `pact commit --unset files:PATH NODE`, docs/drift.md
/// "expected value") and that do not drift: each removed at once, as a new
/// declaration is applied at once, not left as drift for a window. Only
/// files: a sysctl key or a mount cannot be made absent this way (converge
/// reports them).
std::vector<restore_step> plan_declared_absent(const drift_state& s,
                                               const declared_state& next);

/// Puts the dropped items back (restore_core.hpp; never unmounts) and says
/// so: one AUTO_CONVERGE command "put back what the node held before these
/// items were declared: restored N item(s): …; not restored: …", its log
/// line and the touched items for the watcher to observe again; and a
/// second one for the files now declared absent (plan_declared_absent),
/// "removed the files the node delta now declares absent: …". Nothing
/// when neither applies.
window_actions undeclare(const drift_state& s, const declared_state& next,
                         const std::string& node, backend_map& backends);

/// The same when `overlay` and `delta` arrive from the journal link, before
/// drift_state::set_declared takes them: nothing before the first declared
/// state, or for one that does not merge (set_declared refuses it too).
window_actions undeclare(const drift_state& s,
                         const protocol::VClusterOverlay& overlay,
                         const protocol::NodeDelta& delta,
                         const std::string& node, backend_map& backends);

} // namespace pact::node
