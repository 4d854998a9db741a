#pragma once

/// Restoring a node to declared state (issue 11 item 3: `pact rollback SEQ`
/// of a node entry). The plan is pure: from what the drift core knows now
/// and the declared state to return to, which items change and to what.
/// It is executed by restore_core.hpp's executor — the one commit-window
/// enforcement uses — through the boot's apply backends under --root, so
/// mounts are real only where the boot's are.
///
/// The target of an item is its declared value after the rollback, else
/// its baseline (what the agent saw before any drift), else absent. Refused
/// before anything is written:
///   * a file whose target is known only by its hash (over agent.drift.
///     baseline_max_file_bytes): it cannot be written back (exit 1, every
///     such file named);
///   * unless forced, a restore that would unmount a mount in use (a
///     process holds a path below it, or another mount lies below it) or
///     stop a declared service another declared service depends on
///     (exit 10, "rollback blocked by active consumers", DESIGN.md §6).

#include <string>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/node/drift_state.hpp"
#include "runtime/node/restore_core.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::node {

/// The items `s` must change so that the node holds `next` (declared
/// state after the rollback), in restore_core's execution order.
std::vector<restore_step> plan_restore(const drift_state& s,
                                       const declared_state& next);

/// What uses the node now, as restore checks need it.
struct consumers {
  /// Mount points mounted now (node paths).
  std::vector<std::string> mounted;
  /// Paths processes hold (cwd, root, open files), each with who holds it:
  /// ("/scratch/job/out.log", "process 4242").
  std::vector<std::pair<std::string, std::string>> held;
};

/// Reads ROOT/proc/<pid>/{cwd,root,fd/*} (unreadable entries are skipped:
/// other users' processes when not root) and the mount points of `mounts`.
consumers read_consumers(const std::string& root, const observed_items& mounts);

/// Refusals of `plan`: unrestorable files (exit 1), then, unless `force`,
/// active consumers (exit 10). `current` is the declared state now.
status check_restore(const std::vector<restore_step>& plan,
                     const declared_state& current, const declared_state& next,
                     const consumers& c, bool force);

/// Puts each step back (restore_core.hpp), unmounting a mount the target
/// lacks (check_restore looked at its consumers first). `next` is the
/// declared state the rollback returns to.
std::vector<step_result> execute_restore(const std::vector<restore_step>& plan,
                                         const declared_state& next,
                                         backend_map& backends);

/// The reply's view of each result: category, key, outcome ("applied",
/// "recorded", "handed-off", "failed") and detail.
std::vector<protocol::RestoredItem>
restored_items(const std::vector<step_result>& done);

} // namespace pact::node
