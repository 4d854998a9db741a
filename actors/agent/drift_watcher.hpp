#pragma once

/// The drift watcher (issue 11 item 2; DESIGN.md §7, §9): a supervised
/// actor over the CAF-free cores of runtime/node. It watches every file
/// under --root except the blacklist with inotify (polled every
/// `poll_interval`, non-blocking), scans sysctl, mounts, kernel modules,
/// declared files and the watch-limit fallback subtrees every
/// `scan_interval`, compares all of it with declared state (else the
/// baseline), and sends each drift episode to the journal link as one
/// serialized JournalCommand (COMMAND_KIND_DRIFT_DETECTED, scope this
/// node) through the node_command seam of agent_atoms.hpp.
///
/// Commit window (issue 11 item 4): the window lives in drift_state; at
/// each poll the watcher applies runtime/node/window_rules.hpp — on expiry
/// one WINDOW_EXPIRED record ("commit window expired"), under enforce a
/// convergence through the backends and an AUTO_CONVERGE record, a
/// DRIFT_RESOLVED record when a recorded episode's drift is gone — and the
/// committed node delta's TTL. Each DRIFT_DETECTED carries the window's
/// deadline; the journal's deadline (`pact extend`) comes back with the
/// declared state and the window follows it. A policy that turns
/// enforcement_mode to enforce while the window is expired has the drift
/// flagged earlier converged at once (window_rules.hpp, enforce_flagged).
///
/// `auto_converge_categories` (runtime/node/auto_converge.hpp): drift in
/// those dimensions converges at the poll after its record.
///
/// Restarts: baseline, drift, window and unsent episodes live in a
/// `drift_shared` owned by the agent's main (captured by the supervisor's
/// child factory), not in the actor; a new incarnation re-walks the tree
/// against it, so nothing is lost and changes made while no incarnation
/// ran are still found (docs/drift.md).
///
/// Messages:
/// - (declared_state_atom, overlay bytes, node delta bytes) -> void; items
///   it no longer declares go back at once (runtime/node/undeclare.hpp)
/// - (undeclared_atom, StateDelta bytes) -> void: what the boot's items
///   held before it applied them (drift_state::note_undeclared)
/// - (drift_atom) -> std::string serialized DriftReply
/// - (drift_commit_atom | node_rollback_atom, request, token) -> serialized
///   Response (agent_atoms.hpp; actors/agent/drift_operator.hpp)
/// - drift_poll_atom / drift_scan_atom: its own timers; drift_notify_atom:
///   inotify has events (with `wake_on_events`)
///
/// Health: running with what it watches; degraded while inotify is
/// unavailable or the watch limit put subtrees on periodic hash scans (the
/// detail names them, so `pact status NODE` shows it), and while --root is
/// gone (moved away or removed): then nothing under it is read (its items
/// are not drift as if deleted) and the window's rules wait (nothing is
/// converged into it) until a scan finds it back and walks it again.

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/supervision/health.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/node/apply_backends.hpp"
#include "runtime/node/drift_state.hpp"
#include "runtime/node/state_report.hpp"

namespace pact::agent {

/// What outlives an incarnation of the watcher.
struct drift_shared {
  explicit drift_shared(node::drift_settings s) : state(std::move(s)) {
  }
  node::drift_state state;
  /// Serialized JournalCommands not yet handed to the journal link (it was
  /// restarting); bounded, oldest dropped.
  std::deque<std::string> outbox;
  /// Counter for client request ids of this process's episodes.
  uint64_t episodes = 0;
  /// Resolves a journal state left drifted or converging
  /// (runtime/node/state_report.hpp); sees every command queued here.
  node::state_follower follower;
};

/// Unsent episodes kept while the journal link is away.
inline constexpr size_t drift_outbox_limit = 64;

struct drift_watcher_config {
  std::string node_id;
  /// Node paths of the subtrees to watch (agent.drift.watch_roots).
  std::vector<std::string> watch_roots{"/"};
  /// agent.blacklist.patterns (validated at start-up).
  std::vector<std::string> patterns;
  /// Node paths never watched: the agent's state directory and pact's
  /// runtime directories.
  std::vector<std::string> always_excluded;
  /// 0: as many inotify watches as the kernel allows.
  size_t max_watches = 0;
  std::chrono::milliseconds poll_interval{50};
  /// Wake on inotify events (a thread of the tree's polls its queue:
  /// runtime/node/readiness_notifier.hpp) instead of polling every
  /// `poll_interval`: the timer then runs at `poll_interval` only while
  /// time can move something (drift settling into an episode, a window
  /// open, records waiting), else at `idle_interval` (still checking that
  /// the root is where it was). Off in the deterministic tests, whose
  /// coordinator takes messages only from its own thread.
  bool wake_on_events = false;
  std::chrono::milliseconds idle_interval{1000};
  std::chrono::seconds scan_interval{30};
  /// How converging and rollbacks act on the node (apply_backends.hpp:
  /// real mounts only with --root / and privileges), as the boot applies.
  /// Converging always writes under the drift state's root.
  node::host_settings host;
  std::shared_ptr<drift_shared> shared;
  std::shared_ptr<const pact::clock> wall;
  /// The supervisor that knows the journal link by name.
  caf::actor supervisor;
  std::string journal_link_name = "agent/journal-link";
};

/// The blacklist the watcher uses: `patterns`, the journal's replicated
/// ones and `always_excluded`; an error names a bad pattern.
expected<pact::blacklist>
drift_blacklist(const std::vector<std::string>& patterns,
                const std::vector<std::string>& journal_patterns,
                const std::vector<std::string>& always_excluded);

caf::behavior drift_watcher(caf::event_based_actor* self,
                            supervision::health_handle h,
                            drift_watcher_config cfg);

} // namespace pact::agent
