#pragma once

/// Putting items back: the one plan format and the one executor behind
/// both ways a node is restored (docs/drift.md):
///   * commit-window enforcement (runtime/node/converge.hpp): the drifted
///     items go back to what is expected of them;
///   * `pact rollback` of a node entry (runtime/node/node_restore.hpp):
///     the items whose declaration the rollback changes, and the drift.
/// Each caller plans (its own rules for what the target is), then calls
/// `execute_steps`, which acts through the boot's apply backends
/// (apply_backends.hpp: everything under --root; mounts and packages real
/// only with --root / and privileges, else recorded). Pure apart from what
/// the backends do; a failure is an outcome, never an exception.
///
/// What a step gets, by dimension (target = what the item must hold):
///   files     target absent: removed (never through a symlink). Target
///             the journal's value: applied as the declared item (content,
///             mode, owner). Otherwise the content the agent kept (or a
///             symlink's target) written back, mode and owner kept (0644
///             for a new file). Target known only by its hash (over the
///             baseline's size cap): not restored, named. Whatever is in
///             the way (a symlink, FIFO, device, an empty directory tree)
///             is replaced; a directory holding files is not (root_fs.hpp).
///   kernel    sysctl keys written back; a key cannot be made absent, and
///             the agent does not load or unload modules: failed, named.
///   mounts    target present: the mount backend mounts it; absent: only
///             where `unmount_extra` (a rollback, whose consumer check ran
///             first) is it unmounted, else not (it may be in use).
///   network   the backend's file is written again from every network item
///             the target state declares (one file holds them all).
///   packages  target present: installed at the declared version; absent:
///             failed (pact does not uninstall packages).
///   services  handed off: the service supervisor keeps what is declared;
///             the caller hands it `declared_services` of the target state
///             when a step touched a service.
///   gpu       handed off to the GPU poller.
/// Order: the boot's (kernel, mounts, files, network, packages, the rest),
/// and within files every removal first, deepest first, so that a file
/// standing where a directory should be, or files inside a directory that
/// stands where a file should be, are gone before the writes that need
/// the place.

#include <map>
#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

#include "runtime/node/boot_apply.hpp"
#include "runtime/node/drift.hpp"

namespace pact::node {

/// The journal's declared items by (category, key), canonical values as in
/// effective_items (boot_apply.hpp).
using declared_values = std::map<item_id, std::string>;

/// Index of effective_items' result.
declared_values index_declared(const std::vector<protocol::DeltaItem>& items);

/// One item to put back.
struct restore_step {
  item_id id;
  /// What the item holds now.
  item_value actual;
  /// What it is put back to.
  item_value target;
  /// The journal's value of the target when declared (a file's JSON with
  /// its mode); empty for a target the agent knows from its baseline.
  std::string target_raw;
};

/// What only a rollback may do.
struct restore_rules {
  /// Unmount a mount the target state lacks.
  bool unmount_extra = false;
};

struct step_result {
  restore_step step;
  apply_outcome outcome;
  bool restored() const {
    return outcome.k == apply_outcome::kind::applied;
  }
};

/// The SERVICES items of `declared` in key order, for the supervisor seam
/// (actors/agent/agent_atoms.hpp declared_services_atom).
protocol::StateDelta declared_services(const declared_values& declared);

/// Whether a result touched a service.
bool touches_services(const std::vector<step_result>& done);

/// Sorts `plan` into the execution order above (stable otherwise).
void order_steps(std::vector<restore_step>& plan);

/// Executes `plan` in the order above, one result per step, in that
/// order. `declared` = the raw declared values of the state being restored
/// (the network file is written from all its network items).
std::vector<step_result>
execute_steps(std::vector<restore_step> plan, const declared_values& declared,
              const restore_rules& rules, backend_map& backends);

/// The journal's view of one item put back from `before` to `after`:
/// the reverse of its drift (ADD, REMOVE or MODIFY; value = after,
/// previous = before).
protocol::DeltaItem restored_item(const item_id& id, const item_value& before,
                                  const item_value& after);

/// The journal's delta of what was restored: one item per applied step,
/// value = its target, previous = what it replaced (ADD, REMOVE or
/// MODIFY, as the drift core keeps values: a file's content, or its
/// "sha256:HEX" when only the hash is known).
protocol::StateDelta restored_delta(const std::vector<step_result>& r);

} // namespace pact::node
