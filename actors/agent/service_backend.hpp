#pragma once

/// The seam between the service supervisor and what runs a service
/// (docs/services.md, "systemd backend"): the overlay's supervisor_backend
/// names a backend, and a backend spawns, for one declared service, the
/// actor that runs it. Every such actor speaks the service-actor protocol
/// of service_atoms.hpp (start, restart, stop, status, logs; it tells the
/// supervisor each change of state), so the supervisor's ordering, drift
/// reporting, commit-window rule and journal records are the same whoever
/// runs the service.

#include <functional>
#include <map>
#include <string>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/agent/service_actor.hpp"
#include "actors/agent/systemd_unit_actor.hpp"
#include "actors/supervision/health.hpp"

namespace pact::agent {

/// Spawns the actor that runs `c.spec`, as a child of `parent`.
using service_backend = std::function<caf::actor(caf::event_based_actor* parent,
                                                 supervision::health_handle h,
                                                 service_actor_config c)>;

/// "pact": the agent runs the process itself (service_actor).
service_backend pact_backend();
/// "systemd": systemd runs NAME.service; a detached actor drives it over
/// D-Bus (systemd_unit_actor).
service_backend systemd_backend(systemd_unit_settings s);

/// The backends by the names the overlay's supervisor_backend takes.
std::map<std::string, service_backend>
default_backends(systemd_unit_settings systemd);

} // namespace pact::agent
