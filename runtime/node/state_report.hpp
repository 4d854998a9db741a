#pragma once

/// Keeping the journal's record of the node's state in step with what the
/// agent sees (issue 11 item 4, "node state in the journal follows";
/// docs/agent.md, "Node state in the journal"). Two faults a tester found
/// (issue 11): after a commit and a rollback whose restore the agent
/// recorded as an auto-converge, `pact status` kept showing `converging`
/// with no drift left; after an agent restart the boot wrote declared state
/// over an uncommitted local edit without a word, and the journal kept
/// showing `drifted`. Pure.

#include <cstdint>
#include <string>
#include <vector>

#include <pact/protocol/api.pb.h>
#include <pact/protocol/journal.pb.h>

#include "runtime/node/drift.hpp"
#include "runtime/node/drift_state.hpp"
#include "runtime/node/scanners.hpp"
#include "runtime/node/window_rules.hpp"

namespace pact::node {

/// The uncommitted local edits a boot replaced: the items of `applied`
/// whose value before the boot (`before`, undeclare.hpp read_before)
/// differs from what the node's previous boot applied (`previous`, the
/// cached configuration's declared state): the node held something other
/// than what pact wrote there, and nobody committed it. An item the
/// previous boot did not declare (first boot, newly declared) or that was
/// not read is no edit. As drift items (drift.hpp to_delta_item: value =
/// what the node held, previous = what pact had applied), in `applied`'s
/// order.
protocol::StateDelta
replaced_edits(const std::vector<protocol::DeltaItem>& applied,
               const observed_items& before, const declared_state& previous);

/// "; replaced N uncommitted local edit(s): a, b, c (+k more)" for the
/// boot record's message; "" when `edits` is empty.
std::string replaced_text(const protocol::StateDelta& edits);

/// Watches for a journal record that says drifted or converging while the
/// agent sees no drift, and resolves it with one DRIFT_RESOLVED record (the
/// journal then returns the node to its state before the drift; a record
/// with nothing to resolve appends nothing there). The journal's state is
/// the node delta's (NodeDelta.state, as the journal link last handed it)
/// or, sooner, what the agent itself recorded since (`note`): a rollback's
/// auto-converge makes the journal say converging before the link hears it.
/// One record per such stale state, at the second check that finds it
/// (an episode that just ended is the window rules' to resolve, at the next
/// poll): again only once the journal's state was seen to leave drift, or
/// the node drifted again.
class state_follower {
public:
  /// A command the agent queued for the journal about this node (each
  /// one, in order; a DRIFT_RESOLVED of the window rules counts as the
  /// resolution).
  void note(const protocol::JournalCommand& cmd);

  /// At a poll: the DRIFT_RESOLVED to record (scope `node`), if any. Only
  /// once declared state is known and the file baseline is taken (before,
  /// "no drift" means "not looked yet").
  window_actions check(const drift_state& s, const std::string& node);

private:
  /// The agent recorded drift, a convergence or an expiry the journal
  /// state may not show yet.
  bool recorded_ = false;
  /// A resolution was queued for the current stale state.
  bool sent_ = false;
  /// The state was stale with no drift at the last check too.
  bool armed_ = false;
};

} // namespace pact::node
