#pragma once

/// What the agent does when a commit window runs out (issue 11 item 4;
/// DESIGN.md §9; admin-operations guide, "Commit drift": "If the window
/// expires, drift is flagged for review rather than silently discarded").
/// Pure apart from the backends converge acts through; the drift watcher
/// calls these at each poll and sends the commands through the node_command
/// seam (actors/agent/agent_atoms.hpp), stamping their request ids.
///
/// By the vCluster policy's enforcement_mode:
///   observe  one WINDOW_EXPIRED record per expiry: "commit window expired:
///            N drifted item(s) flagged for review: ..." (its state_delta
///            lists the flagged items).
///   warn     the same, and `loud` is set: the agent logs it as an error.
///   enforce  the same record, then converge (runtime/node/converge.hpp)
///            and one AUTO_CONVERGE entry listing what was restored and
///            what could not be. While the window stays expired (drift is
///            left that could not be restored), drift that appears later is
///            converged as it is found, each item once per episode;
///            `pact extend` opens the window again. A policy that turns
///            enforce while the window is expired converges the drift
///            flagged under observe or warn the same way (enforce_flagged).
/// A committed node delta whose TTL ran out (drift_state::expire_delta)
/// follows the same rules for the keys it held, at once: its TTL was their
/// window. When a recorded episode's drift is gone (committed, converged,
/// undone), one DRIFT_RESOLVED record says so and the journal returns the
/// node to its state before the drift.

#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

#include "runtime/node/drift_state.hpp"

namespace pact::node {

struct window_actions {
  /// Node commands to record, in order (scope: the node; no request id).
  std::vector<protocol::JournalCommand> commands;
  /// What happened, for the agent's log.
  std::vector<std::string> log;
  /// Log `log` as errors (enforcement_mode "warn" or a failed restore).
  bool loud = false;
  /// Items converge restored or tried: the caller observes them again (and
  /// rescans the periodic sources) so that drift_state sees them gone.
  std::vector<item_id> touched;
};

/// At a poll: the window's expiry (drift_state::window().tick), later drift
/// while it stays expired under enforce, and a resolved episode.
window_actions keep_window(drift_state& s, const std::string& node,
                           int64_t now_ms, backend_map& backends);

/// The vCluster policy's enforcement_mode became enforce (a new policy
/// reached the agent) while the window is expired: the drift flagged then
/// (and found since) is converged now, as an expiry under enforce would
/// have, in one AUTO_CONVERGE record. Nothing otherwise. keep_window
/// converges it at the next poll too; calling this first names the reason.
window_actions enforce_flagged(drift_state& s, const std::string& node,
                               backend_map& backends);

/// After drift_state::expire_delta returned `keys` and the caller observed
/// the declared state again: flags (and under enforce converges) the keys
/// that now drift, in one WINDOW_EXPIRED record naming the delta's entry;
/// a closed window becomes expired at `now_ms` (their window is spent), and
/// the items are not recorded again as drift — their resolution is.
/// Nothing recorded when none drifts (only logged).
window_actions delta_expired(drift_state& s, const std::string& node,
                             const std::vector<item_id>& keys, int64_t now_ms,
                             backend_map& backends);

} // namespace pact::node
