#pragma once

/// Messages of the agent's service supervision (docs/services.md), all
/// within the agent process.
///
/// service supervisor (registered as `service_supervisor_name`):
///   (declared_services_atom, std::string services, std::string backend)
///     — from the journal link (agent_atoms.hpp): the declared SERVICES
///     items and the overlay's supervisor_backend ("" for the default);
///     services started, changed (restarted with the new declaration) and
///     removed (stopped) to match, in dependency order.
///   (service_call_atom, std::string request, std::string who)
///     -> std::string: a serialized pact.protocol.Response answering a
///     serialized ServiceRequest that the agent API has authorized; `who`
///     names the operator for the log and the journal record.
/// service actor (one per declared service, a child of the supervisor,
/// spawned by its backend: service_backend.hpp; the systemd backend's
/// unit actor answers the same messages, and uses service_health_atom as
/// its poll tick):
///   (service_start_atom, uint64_t token) — start now (token 0) or when a
///     restart delay armed with that token is up;
///   (service_output_atom, uint64_t gen, std::string bytes) and
///   (service_exit_atom, uint64_t gen, bool signaled, int32_t code) — from
///     the thread following process generation `gen`;
///   (service_kill_atom, uint64_t gen) — the stop grace period is over;
///   (service_health_atom, uint64_t gen) — time for a health check of
///     process generation `gen`; (service_probe_atom, uint64_t gen,
///     std::string why) — its result from the probing thread ("" healthy);
///   (service_restart_atom) -> std::string: a serialized ServiceStatus once
///     the new process runs (or could not start);
///   (service_stop_atom) — stop for good, then quit;
///   (service_status_atom) -> std::string: a serialized ServiceStatus;
///   (service_logs_atom, uint32_t n) -> std::string: a serialized
///     Response: a ServiceReply with the newest n log lines, or why they
///     cannot be read.
///   service actor -> supervisor: (service_status_atom, std::string name,
///     std::string status) on every change of state.
/// supervisor -> drift watcher (registered as drift_watcher_name):
///   (service_states_atom, std::string reply) — a serialized ServiceReply
///   with every declared service's status, after each change: a service
///   in `backoff` or `failed` is drift in the services dimension
///   (docs/drift.md).

#include <caf/atom.hpp>

namespace pact::agent {

inline constexpr caf::atom_value service_supervisor_name
  = caf::atom("svcsuperv");

using service_call_atom = caf::atom_constant<caf::atom("svccall")>;
using service_start_atom = caf::atom_constant<caf::atom("svcstart")>;
using service_output_atom = caf::atom_constant<caf::atom("svcout")>;
using service_exit_atom = caf::atom_constant<caf::atom("svcexit")>;
using service_kill_atom = caf::atom_constant<caf::atom("svckill")>;
using service_restart_atom = caf::atom_constant<caf::atom("svcrestart")>;
using service_stop_atom = caf::atom_constant<caf::atom("svcstop")>;
using service_status_atom = caf::atom_constant<caf::atom("svcstatus")>;
using service_logs_atom = caf::atom_constant<caf::atom("svclogs")>;
using service_states_atom = caf::atom_constant<caf::atom("svcstates")>;
using service_health_atom = caf::atom_constant<caf::atom("svchealth")>;
using service_probe_atom = caf::atom_constant<caf::atom("svcprobe")>;

} // namespace pact::agent
