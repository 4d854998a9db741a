#pragma once

/// Messages between the agent's own actors (never sent across processes).
///
/// The seam between the node-plane actors (drift watcher, commit window, GPU
/// poller, later services and exec) and the journal link: an actor that wants
/// something recorded in the journal for this node sends
///   (node_command_atom, std::string command)
/// to the journal link, where `command` is a serialized
/// pact.protocol.JournalCommand whose scope is this node (DRIFT_DETECTED,
/// AUTO_CONVERGE, RECORD with record_type "capability-change", …). The link
/// proposes it through the gateway with the node's credential, keeps it
/// queued (bounded, oldest dropped with a warning) while no replica is
/// reachable, and logs a refusal; senders never wait for the journal.
///
/// The other way, the journal link hands what it booted to:
///   * the drift watcher: (declared_state_atom, std::string overlay,
///     std::string node_delta) — a serialized VClusterOverlay and NodeDelta —
///     after every boot, from the journal or the cache. The link finds the
///     watcher in the actor registry under `drift_watcher_name`; an actor
///     that starts later asks the link with (declared_state_atom) and gets
///     the same two strings back (both empty before the first boot);
///   * the drift watcher, before each declared state: (undeclared_atom,
///     std::string before) — a serialized StateDelta of what the boot's
///     files and sysctl keys held before the boot applied them (ADD with
///     the value, REMOVE when absent; runtime/node/undeclare.hpp);
///   * the service supervisor: (declared_services_atom, std::string
///     services, std::string backend) — a serialized StateDelta of the
///     SERVICES items, in declared order, and the overlay's
///     supervisor_backend — after every boot; a supervisor
///     (actors/agent/service_supervisor.hpp) that starts later asks the
///     link with (declared_services_atom) and gets the same two strings
///     back.
///     The drift watcher sends the same message to the link when a
///     rollback changed the declared services; the link passes it on.

#include <caf/atom.hpp>

namespace pact::agent {

using node_command_atom = caf::atom_constant<caf::atom("nodecmd")>;
using declared_state_atom = caf::atom_constant<caf::atom("declared")>;
using declared_services_atom = caf::atom_constant<caf::atom("services")>;
using undeclared_atom = caf::atom_constant<caf::atom("undeclared")>;
/// Journal link: the boot stream asked for with this request id did not
/// finish in time.
using boot_timeout_atom = caf::atom_constant<caf::atom("boottmo")>;
/// Journal link: ask for the boot again after a transient refusal.
using boot_retry_atom = caf::atom_constant<caf::atom("bootretry")>;

/// Registry name under which the drift watcher registers itself (each
/// incarnation at its start, so the link always finds the current one).
inline constexpr caf::atom_value drift_watcher_name = caf::atom("driftwatch");

/// The node's declared state, for the drift watcher (actors/agent/
/// drift_watcher.hpp): the journal link sends
///   (declared_state_atom, std::string overlay, std::string node_delta)
/// to "agent/drift-watcher" after each boot stream or update, where
/// `overlay` is a serialized pact.protocol.VClusterOverlay and `node_delta`
/// a serialized pact.protocol.NodeDelta (empty string: no delta). Bytes
/// that do not parse are logged and ignored; the watcher keeps what it had.
/// (declared_state_atom is defined above.)

/// (drift_atom) -> std::string: the drift watcher's serialized
/// pact.protocol.DriftReply (the agent API's `pact diff NODE`).
using drift_atom = caf::atom_constant<caf::atom("drift")>;

/// The operator's loop on the node (issue 11 item 3; docs/drift.md):
///   agent API -> drift watcher:
///     (drift_commit_atom, std::string request, std::string token)
///       -> std::string: a serialized pact.protocol.Response (status, and
///          on success drift_commit_reply), `request` a serialized
///          DriftCommitRequest, `token` the operator's bearer token;
///     (node_rollback_atom, std::string request, std::string token)
///       -> std::string: likewise for NodeRollbackRequest.
///   drift watcher -> journal link:
///     (operator_call_atom, std::string request) -> std::string: proposes a
///       serialized pact.protocol.Request (carrying the operator's token,
///       not the node credential, so the journal authorizes and records
///       the operator) on the link's connection and answers the journal's
///       serialized Response; UNAVAILABLE at once when no replica is
///       connected.
using drift_commit_atom = caf::atom_constant<caf::atom("driftcmt")>;
using node_rollback_atom = caf::atom_constant<caf::atom("noderollb")>;
using operator_call_atom = caf::atom_constant<caf::atom("opcall")>;

/// `pact exec` (actors/agent/exec_api.hpp): the agent API to the detached
/// actor that runs one command, (exec_run_atom) -> (std::string reply,
/// std::string failure): a serialized pact.protocol.ExecReply, or empty and
/// why the command could not be started.
using exec_run_atom = caf::atom_constant<caf::atom("execrun")>;
/// `pact diag` (actors/agent/diag_api.hpp): the agent API to the detached
/// actor that reads the node's ring buffer and syslog files,
/// (diag_read_atom) -> (std::string reply): a serialized
/// pact.protocol.DiagReply holding their blocks.
using diag_read_atom = caf::atom_constant<caf::atom("diagread")>;
/// `pact shell` (actors/agent/shell_session.hpp):
///   agent API -> session: (shell_run_atom) -> std::string: a serialized
///     pact.protocol.ShellReply, answered when the session has closed;
///   runner -> session: (shell_output_atom, std::string bytes) -> void,
///     what the running line printed, and (shell_done_atom, int32 status,
///     std::string failure) -> void when it ended;
///   session -> itself: (shell_idle_atom, uint64 generation) -> void.
using shell_run_atom = caf::atom_constant<caf::atom("shellrun")>;
using shell_output_atom = caf::atom_constant<caf::atom("shellout")>;
using shell_done_atom = caf::atom_constant<caf::atom("shelldone")>;
using shell_idle_atom = caf::atom_constant<caf::atom("shellidle")>;
/// Drift watcher timers (self-sent): poll inotify / run periodic scans.
using drift_poll_atom = caf::atom_constant<caf::atom("driftpoll")>;
using drift_scan_atom = caf::atom_constant<caf::atom("driftscan")>;
/// Sent by the inotify tree's notifier thread: events are pending.
using drift_notify_atom = caf::atom_constant<caf::atom("driftntfy")>;

} // namespace pact::agent
